import Foundation

/// CPU µs per successful request in one fan-in round, for each side: its application threads and
/// its libzmq I/O threads.
struct CPUPerRequest: Sendable, Codable {
    struct Side: Sendable, Codable {
        /// Every thread of the side that is not libzmq's: for Corsair, the engine's or server's
        /// own thread, the concurrency pool (handlers, callers' tasks) and threads that ended
        /// during the round; for raw libzmq, the REQ threads or the echo thread.
        var app: Double
        /// libzmq's background threads (`ZMQbg/…`) of the side's context.
        var io: Double
        var total: Double
        /// Corsair rounds only: the side's CPU by thread name, such as `corsair-client`,
        /// `ZMQbg/IO/0` or `(exited threads)`; threads of one name summed.
        var threads: [String: Double]?

        enum CodingKeys: String, CodingKey {
            case app = "app_us"
            case io = "io_us"
            case total = "total_us"
            case threads
        }

        init(app: Double, io: Double, threads: [String: Double]? = nil) {
            self.app = app
            self.io = io
            self.total = app + io
            self.threads = threads
        }

        /// A process's CPU over a round, divided by the requests it answered.
        init(_ usage: CPUUsage, requests: Int) {
            let perRequest = { (nanoseconds: UInt64) in Double(nanoseconds) / 1000 / Double(max(1, requests)) }
            let io = usage.libzmqNanoseconds
            self.init(
                app: perRequest(usage.totalNanoseconds - min(io, usage.totalNanoseconds)),
                io: perRequest(io),
                threads: usage.byThreadName.mapValues(perRequest)
            )
        }

        /// Each figure's median over several rounds; a thread name missing from a round counts 0
        /// there, and one whose median is 0 is left out.
        static func median(of rounds: [Side]) -> Side {
            let names = Set(rounds.flatMap { $0.threads?.keys.map { $0 } ?? [] })
            var threads: [String: Double] = [:]
            for name in names {
                let median = Statistics.median(rounds.map { $0.threads?[name] ?? 0 })
                if median > 0 { threads[name] = median }
            }
            var side = Side(
                app: Statistics.median(rounds.map(\.app)),
                io: Statistics.median(rounds.map(\.io)),
                threads: rounds.contains { $0.threads != nil } ? threads : nil
            )
            side.total = Statistics.median(rounds.map(\.total))
            return side
        }
    }

    var client: Side
    var server: Side
    /// Both sides.
    var total: Double

    enum CodingKeys: String, CodingKey {
        case client, server
        case total = "total_us"
    }

    init(client: Side, server: Side) {
        self.client = client
        self.server = server
        self.total = client.total + server.total
    }

    /// Each figure's median over several rounds.
    static func median(of rounds: [CPUPerRequest]) -> CPUPerRequest {
        var median = CPUPerRequest(client: .median(of: rounds.map(\.client)), server: .median(of: rounds.map(\.server)))
        median.total = Statistics.median(rounds.map(\.total))
        return median
    }

    /// The CPU of a round's timed requests: the caller's process is the client, `server` the
    /// server's process; call ``start(server:)`` right before the timed requests and ``finish``
    /// right after the last reply, before anything is torn down.
    struct Meter: Sendable {
        let server: pid_t
        private let client: ProcessCPU
        private let serverStart: ProcessCPU

        static func start(server: pid_t) throws -> Meter {
            Meter(server: server, client: try ProcessCPU.read(), serverStart: try ProcessCPU.read(pid: server))
        }

        func finish(requests: Int) throws -> CPUPerRequest {
            let client = try ProcessCPU.read().usage(since: self.client)
            let server = try ProcessCPU.read(pid: self.server).usage(since: self.serverStart)
            return CPUPerRequest(client: Side(client, requests: requests), server: Side(server, requests: requests))
        }
    }
}
