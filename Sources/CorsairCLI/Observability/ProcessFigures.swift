import Foundation
import Prometheus

/// The process's own figures for `/metrics`, read from /proc and getrusage at each scrape:
/// `process_resident_memory_bytes`, `process_open_fds`, `process_cpu_seconds_total`.
struct ProcessFigures: Sendable {
    private let resident: Gauge
    private let openDescriptors: Gauge
    private let cpuSeconds: Gauge

    init(registry: PrometheusCollectorRegistry) {
        self.resident = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "process", metricName: "resident_memory", unitName: "bytes", helpText: "Resident set size in bytes."))
        self.openDescriptors = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "process", metricName: "open", unitName: "fds", helpText: "Open file descriptors."))
        // A gauge set to the kernel's total: the registry's counters only add, and the figure is read, not counted.
        self.cpuSeconds = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "process", subsystem: "cpu", metricName: "seconds", unitName: "total", helpText: "User and system CPU time spent, in seconds."))
    }

    /// Reads the figures now into the gauges.
    func update() {
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
           let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
            self.resident.set(pages * Double(sysconf(Int32(_SC_PAGESIZE))))
        }
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            // The directory listing holds one descriptor of its own while it is read.
            self.openDescriptors.set(Double(max(0, entries.count - 1)))
        }
        var usage = rusage()
        if getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 {
            let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
            self.cpuSeconds.set(user + system)
        }
    }
}
