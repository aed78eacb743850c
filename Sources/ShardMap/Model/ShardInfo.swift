/// One shard: its id, the endpoint its server listens on, the slots it owns and, for CURVE, the
/// server's public key.
public struct ShardInfo: Hashable, Sendable, Identifiable {
    /// The longest shard id, in UTF-8 bytes; the wire header gives it one length byte.
    public static let maximumIDLength = 255

    /// A short name, unique in the map, 1 to 255 UTF-8 bytes without spaces or control characters.
    public var id: String
    /// Where the shard's server listens: `tcp://host:port`, `ipc://path` or `inproc://name`.
    public var endpoint: String
    /// The slot ranges the shard owns, as listed; empty with jump routing.
    public var slots: [ClosedRange<Int>]
    /// The server's CURVE public key as 40 characters of Z85 text, or `nil` for a plain connection.
    public var serverPublicKey: String?

    /// A shard from its parts.
    public init(id: String, endpoint: String, slots: [ClosedRange<Int>] = [], serverPublicKey: String? = nil) {
        self.id = id
        self.endpoint = endpoint
        self.slots = slots
        self.serverPublicKey = serverPublicKey
    }

    /// How many slots the shard owns, counting overlapping ranges twice.
    public var slotCount: Int {
        // Wrapping arithmetic: a hand-built shard may hold ranges too wide to count, and a count
        // must not trap.
        self.slots.reduce(0) { $0 &+ ($1.upperBound &- $1.lowerBound &+ 1) }
    }

    /// Why `endpoint` is not an address a shard may list (`tcp://host:port`, `ipc://path`,
    /// `inproc://name`), or `nil` when it is: the check a config file's endpoints pass, for endpoints
    /// that arrive another way, such as in a server's redirect.
    public static func endpointProblem(_ endpoint: String) -> String? {
        EndpointText.problem(with: endpoint)
    }
}
