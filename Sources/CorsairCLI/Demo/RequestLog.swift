import Corsair
import ShardMap
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
///
/// It also audits every write it runs: whether the servers' map, read at that moment, gives the
/// command's key (from the command itself, not the request header) to this shard. A write where it
/// does not is misrouted. Before writing, it asks Corsair to check ownership again
/// (``ServerRequest/checkOwnership()``), in the same critical section, as a service fences its writes
/// during a reshard; the audit reads the map before that check, so a check that let a moved key
/// through would show as a misrouted write.
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
        /// Writes run while the servers' map gave the key to another shard.
        var misrouted = 0
    }

    let store: KeyValueHandler
    let isEnabled: Bool
    let audit: WriteAudit
    private let state = Mutex(State())

    init(store: KeyValueHandler, isEnabled: Bool, audit: WriteAudit) {
        self.store = store
        self.isEnabled = isEnabled
        self.audit = audit
    }

    func handle(_ request: ServerRequest) async throws -> ServerReply {
        guard let clientID = request.clientID, let requestID = request.requestID else {
            return try await self.store.handle(request)
        }
        let key = Key(clientID: clientID, requestID: requestID)
        let command = request.text ?? ""
        return try self.state.withLock { (state) throws(OwnershipMovedError) -> ServerReply in
            if let reply = state.replies[key] {
                state.repeats += 1
                if self.isEnabled {
                    return reply
                }
            }
            let owned = self.audit.ownsWrite(command)
            if owned != nil {
                try request.checkOwnership()
            }
            let reply = ServerReply(text: self.store.execute(command))
            state.replies[key] = reply
            if owned == false {
                state.misrouted += 1
            }
            return reply
        }
    }

    /// Writes run while the servers' map gave the key to another shard.
    var misrouted: Int {
        self.state.withLock { $0.misrouted }
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
