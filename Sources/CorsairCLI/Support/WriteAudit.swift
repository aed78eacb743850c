import Corsair
import ShardMap
import Synchronization

/// Checks each write a shard's server runs against the servers' map at that moment: the demo's and
/// `corsair serve --config`'s count of misrouted writes.
///
/// The key comes from the command itself (`SET k v`, `INCR k`, `DEL k`), not from the request
/// header, so the audit does not take Corsair's word for where a request belongs.
struct WriteAudit: Sendable {
    let shardID: String
    let map: ShardMapStore

    /// Whether this shard owns the key `command` writes, under the map in use now; `nil` when the
    /// command is not a write.
    func ownsWrite(_ command: String) -> Bool? {
        Self.writtenKey(command).map { self.map.current.shard(forKey: $0).id == self.shardID }
    }

    /// The key a write command (`SET`, `INCR`, `DEL`) writes; `nil` for reads and anything else.
    static func writtenKey(_ command: String) -> Substring? {
        let words = command.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard words.count >= 2, ["SET", "INCR", "DEL"].contains(words[0].uppercased()) else { return nil }
        return words[1].split(whereSeparator: \.isNewline).first
    }
}

/// A key-value handler whose writes are audited and fenced: each write reads the map (the audit),
/// then asks Corsair to check ownership again (``ServerRequest/checkOwnership()``), then runs. A
/// write that runs although the audit's read of the map gave its key to another shard is counted
/// as misrouted; with a sound ownership check there are none.
final class AuditedKeyValueHandler: InlineRequestHandler {
    let store: KeyValueHandler
    let audit: WriteAudit
    private let misroutedCount = Atomic<Int>(0)

    init(store: KeyValueHandler, audit: WriteAudit) {
        self.store = store
        self.audit = audit
    }

    /// Writes run while the map gave the key to another shard.
    var misrouted: Int {
        self.misroutedCount.load(ordering: .relaxed)
    }

    func handleInline(_ request: ServerRequest) throws -> ServerReply {
        let owned = request.text.flatMap { self.audit.ownsWrite($0) }
        if owned != nil {
            try request.checkOwnership()
        }
        let reply = try self.store.handleInline(request)
        if owned == false {
            self.misroutedCount.add(1, ordering: .relaxed)
        }
        return reply
    }
}
