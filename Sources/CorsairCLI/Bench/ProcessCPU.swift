import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The CPU time a process has used so far: the whole process, and each of its live threads by
/// name. `corsair bench` reads it before and after a fan-in round, for itself (the client side)
/// and for its server process.
struct ProcessCPU: Sendable {
    /// One live thread's name (`/proc/…/task/TID/comm`) and its nanoseconds on a CPU.
    struct ThreadTime: Sendable {
        var name: String
        var nanoseconds: UInt64
    }

    /// The process's CPU clock: every thread's time, threads that have exited included.
    var totalNanoseconds: UInt64
    /// Live threads, by thread id.
    var threads: [Int: ThreadTime]

    /// What libzmq names its background threads (`ZMQbg/IO/0`, `ZMQbg/Reaper`): the I/O side.
    static let libzmqThreadPrefix = "ZMQbg/"

    /// Reads process `pid` now (the caller's own process when nil). The process's total comes from
    /// its CPU clock (`clock_getcpuclockid`, nanoseconds, exited threads included); each thread's
    /// from the first field of `/proc/PID/task/TID/schedstat`, nanoseconds on a CPU.
    /// - Throws: ``BenchError`` when the process is gone or its clock cannot be read.
    static func read(pid: pid_t? = nil) throws -> ProcessCPU {
        let process = pid ?? getpid()
        var clock = clockid_t()
        var now = timespec()
        guard clock_getcpuclockid(process, &clock) == 0, clock_gettime(clock, &now) == 0 else {
            throw BenchError("cannot read the CPU clock of process \(process)")
        }
        let total = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        let directory = "/proc/\(process)/task"
        var threads: [Int: ThreadTime] = [:]
        // A thread may end between the listing and the reads: it is simply left out, and its
        // time stays in the total.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let id = Int(entry),
                let name = try? String(contentsOfFile: "\(directory)/\(entry)/comm", encoding: .utf8),
                let schedstat = try? String(contentsOfFile: "\(directory)/\(entry)/schedstat", encoding: .utf8),
                let nanoseconds = schedstat.split(separator: " ").first.flatMap({ UInt64($0) })
            else { continue }
            threads[id] = ThreadTime(name: name.trimmingCharacters(in: .whitespacesAndNewlines), nanoseconds: nanoseconds)
        }
        return ProcessCPU(totalNanoseconds: total, threads: threads)
    }

    /// The CPU used since `earlier`, grouped by thread name. A thread born since counts in full;
    /// the time of threads that ended since, which the total has but no live thread does, is
    /// grouped as ``exitedThreads``.
    func usage(since earlier: ProcessCPU) -> CPUUsage {
        var byName: [String: UInt64] = [:]
        for (id, thread) in self.threads {
            let before = earlier.threads[id].map { $0.name == thread.name ? $0.nanoseconds : 0 } ?? 0
            byName[thread.name, default: 0] += thread.nanoseconds &- min(before, thread.nanoseconds)
        }
        let total = self.totalNanoseconds &- min(earlier.totalNanoseconds, self.totalNanoseconds)
        let live = byName.values.reduce(0, +)
        if total > live {
            byName[CPUUsage.exitedThreads, default: 0] += total - live
        }
        return CPUUsage(totalNanoseconds: max(total, live), byThreadName: byName.filter { $0.value > 0 })
    }
}

/// One process's CPU over an interval, whole and by thread name.
struct CPUUsage: Sendable {
    /// The group for time the total has but no live thread accounts for: threads that ended
    /// during the interval.
    static let exitedThreads = "(exited threads)"

    var totalNanoseconds: UInt64
    var byThreadName: [String: UInt64]

    /// The part spent in libzmq's background threads.
    var libzmqNanoseconds: UInt64 {
        self.byThreadName.filter { $0.key.hasPrefix(ProcessCPU.libzmqThreadPrefix) }.values.reduce(0, +)
    }
}
