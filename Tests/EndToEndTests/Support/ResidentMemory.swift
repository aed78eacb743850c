import Foundation

/// Another process's resident memory, from /proc/PID/statm: measured from outside, so that other
/// tests in this process cannot move it.
enum ResidentMemory {
    static func kib(of pid: Int32) -> Int? {
        guard let statm = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
    }
}
