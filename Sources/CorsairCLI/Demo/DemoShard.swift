import Corsair
import Logging
import ShardMap
import Synchronization

/// One shard of the demo cluster: a server that can be killed and restarted on the same endpoint,
/// over a store and request log that survive the restarts, as a database would.
final class DemoShard: Sendable {
    let id: String
    /// The state that outlives a kill.
    let store: KeyValueHandler
    let log: RequestLog
    /// The faults the demo injects, in front of the log.
    let faults: FaultInjectingHandler

    private struct Running {
        var server: CorsairServer
        var task: Task<Void, Never>
    }

    private struct State {
        var running: Running?
        var configuration: CorsairServer.Configuration
        /// Statistics of the servers killed so far, so that totals cover every incarnation.
        var retired = CorsairServer.Statistics()
        var restarts = 0
    }

    private let state: Mutex<State>

    /// Binds the shard's server; serving starts with ``start()``.
    /// - Parameter map: The servers' map, which the request log audits every write against.
    init(id: String, configuration: CorsairServer.Configuration, map: ShardMapStore, requestLog: Bool) async throws {
        let store = KeyValueHandler()
        let log = RequestLog(store: store, isEnabled: requestLog, audit: WriteAudit(shardID: id, map: map))
        let faults = FaultInjectingHandler(log)
        self.id = id
        self.store = store
        self.log = log
        self.faults = faults
        let server = try CorsairServer(configuration: configuration, handler: faults)
        let task = Self.serve(server)
        var configuration = configuration
        // Restarts bind the very port the first server got, so clients find them again.
        configuration.endpoints = try await Self.bound(server, task: task)
        self.state = Mutex(State(running: Running(server: server, task: task), configuration: configuration))
    }

    /// The endpoint clients connect to.
    var endpoint: String {
        self.state.withLock { $0.configuration.endpoints.first ?? "" }
    }

    /// Whether a server is running now.
    var isUp: Bool {
        self.state.withLock { $0.running != nil }
    }

    /// Stops the server at once: no drain, running handlers cancelled, sockets closed. Requests in
    /// flight get no reply; their clients time out and retry.
    func kill() async {
        guard let running = self.state.withLock({ state -> Running? in
            defer { state.running = nil }
            return state.running
        }) else { return }
        running.task.cancel()
        await running.task.value
        let final = running.server.statistics
        self.state.withLock { $0.retired.absorb(final) }
    }

    /// Starts a new server on the same endpoint, over the same store and log. A port taken in
    /// between (unlikely on loopback) is retried for a while.
    func restart() async throws {
        let configuration = self.state.withLock { $0.configuration }
        var attempt = 0
        while true {
            do {
                let server = try CorsairServer(configuration: configuration, handler: self.faults)
                let task = Self.serve(server)
                _ = try await Self.bound(server, task: task)
                self.state.withLock { state in
                    state.running = Running(server: server, task: task)
                    state.restarts += 1
                }
                return
            } catch {
                guard error.code == .addressInUse, attempt < 50 else { throw error }
            }
            attempt += 1
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops the server gracefully at the end of the demo.
    func stop() async {
        await self.kill()
    }

    /// Every incarnation's statistics added up.
    var statistics: CorsairServer.Statistics {
        self.state.withLock { state in
            var total = state.retired
            if let running = state.running {
                total.absorb(running.server.statistics)
            }
            return total
        }
    }

    var restarts: Int {
        self.state.withLock { $0.restarts }
    }

    private static func serve(_ server: CorsairServer) -> Task<Void, Never> {
        Task {
            // Cancellation is how the demo kills a server; any other failure shows in the counts.
            try? await server.run()
        }
    }

    /// The endpoints `server` bound once `task` runs it; a failure to bind is thrown, after the
    /// task has ended.
    private static func bound(_ server: CorsairServer, task: Task<Void, Never>) async throws(CorsairServerError) -> [String] {
        do {
            return try await server.boundEndpoints
        } catch {
            await task.value
            throw error
        }
    }
}

extension CorsairServer.Statistics {
    /// Adds another server's counts to these.
    mutating func absorb(_ other: CorsairServer.Statistics) {
        for (status, count) in other.replies {
            self.replies[status, default: 0] += count
        }
        self.handlerExecutions += other.handlerExecutions
        self.inFlight += other.inFlight
        self.rawRequests += other.rawRequests
        self.replays += other.replays
        self.overloadReplies += other.overloadReplies
        self.malformedMessages += other.malformedMessages
        self.unroutableReplies += other.unroutableReplies
        self.authenticationRefusals += other.authenticationRefusals
    }
}
