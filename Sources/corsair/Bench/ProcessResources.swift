import Foundation

/// This process's open file descriptors and resident memory, from /proc.
struct ProcessResources: Sendable, Equatable {
    var fileDescriptors: Int
    var residentKiB: Int

    static func now() -> ProcessResources {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
        var resident = -1
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = statm.split(separator: " ")
            if fields.count > 1, let pages = Int(fields[1]) {
                resident = pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
            }
        }
        return ProcessResources(fileDescriptors: descriptors, residentKiB: resident)
    }
}
