import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// This process's open file descriptors and resident memory, from /proc.
struct ProcessResources: Sendable, Equatable {
    var fileDescriptors: Int
    var residentKiB: Int

    /// Reads the figures now. With `trimmingAllocator`, glibc first returns the free memory it
    /// keeps cached to the system, so that what remains is memory still in use: a churn peak that
    /// was freed no longer counts, a leak still does.
    static func now(trimmingAllocator: Bool = false) -> ProcessResources {
        if trimmingAllocator {
            Self.trimAllocator()
        }
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

    /// glibc's `malloc_trim(0)`, found at run time since Swift's Glibc module does not import it.
    private static func trimAllocator() {
        #if canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }
}
