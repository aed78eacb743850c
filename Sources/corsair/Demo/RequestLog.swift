import Corsair
import Synchronization

/// The demo's durable request log: which requests the store has executed, and their replies,
/// recorded in the same critical section as the write itself.
///
/// The server's replay cache answers retries while the server lives; it is memory, and a killed
/// server loses it. A request whose reply was lost in the kill comes back, as a retry with the
/// same (client id, request id), to the restarted server, whose cache is empty. A real service
/// keeps such idempotency keys in its database, in the same transaction as the write; this log
/// plays that part, as the ``KeyValueHandler`` plays the database, and both outlive the demo's
/// server restarts.
///
/// With ``isEnabled`` false (`corsair demo --without-request-log`), the log still records what ran
/// but lets repeats execute again, so the demo shows what the replay cache alone guarantees.
final class RequestLog: RequestHandler {
    /// One logical request: the engine's client id and request id.
    struct Key: Hashable, Sendable {
        var clientID: ClientID
        var requestID: RequestID
    }

    private struct State {
        var replies: [Key: ServerReply] = [:]
        /// Handler calls for a request already executed: retries the replay cache did not catch.
        var repeats = 0
    }

    let store: KeyValueHandler
    let isEnabled: Bool
    private let state = Mutex(State())

    init(store: KeyValueHandler, isEnabled: Bool) {
        self.store = store
        self.isEnabled = isEnabled
    }

    func handle(_ request: ServerRequest) async throws -> ServerReply {
        guard let clientID = request.clientID, let requestID = request.requestID else {
            return try await self.store.handle(request)
        }
        let key = Key(clientID: clientID, requestID: requestID)
        let command = request.text ?? ""
        return self.state.withLock { state in
            if let reply = state.replies[key] {
                state.repeats += 1
                if self.isEnabled {
                    return reply
                }
            }
            let reply = ServerReply(text: self.store.execute(command))
            state.replies[key] = reply
            return reply
        }
    }

    /// Whether the store executed this request.
    func executed(_ key: Key) -> Bool {
        self.state.withLock { $0.replies[key] != nil }
    }

    /// Handler calls for requests already executed: answered from the log, or executed again when
    /// the log is disabled.
    var repeats: Int {
        self.state.withLock { $0.repeats }
    }
}
