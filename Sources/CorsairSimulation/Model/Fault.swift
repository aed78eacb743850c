import UnitText
import ShardMap

/// Something wrong with one shard for a window of virtual time.
///
/// Written on the command line as `SHARD:KIND@START+LENGTH`:
///
/// - `s1:down@10s+20s`: s1 answers nothing from 10 s to 30 s. Like a paused process (or one
///   restarted on the same endpoint), requests sent meanwhile are not lost: they wait in the
///   connection and are served once the window ends, usually long after their attempt timed out.
/// - `s2:slow=200ms@5s+10s`: every reply s2 starts in the window takes 200 ms longer.
/// - `s0:overload@5s+10s`: s0 answers every request in the window "overloaded, retry after
///   100 ms", as a server past its in-flight bound does; `overload=0.3` answers 30 % of them so.
///
/// `+LENGTH` may be left out: the fault then lasts to the end of the run.
public struct Fault: Hashable, Sendable {
    /// What goes wrong.
    public enum Kind: Hashable, Sendable {
        /// No replies; requests are held and served when the window ends.
        case down
        /// Replies take this much longer.
        case slow(Duration)
        /// This share (0–1) of requests is answered "overloaded" with the retry-after hint.
        case overload(share: Double, retryAfter: Duration)
    }

    /// The retry-after hint an overloaded shard gives, as `corsair serve` does by default.
    public static let overloadRetryAfter: Duration = .milliseconds(100)

    /// The index of the shard in the map.
    public var shard: Int
    /// What goes wrong.
    public var kind: Kind
    /// When the fault starts, from the start of the run.
    public var start: Duration
    /// How long it lasts; `nil` for to the end of the run.
    public var length: Duration?
    /// The spec as written, for reports.
    public var spec: String

    /// A fault on the shard at `shard` (an index into the map's shards).
    public init(shard: Int, kind: Kind, start: Duration, length: Duration?, spec: String) {
        self.shard = shard
        self.kind = kind
        self.start = start
        self.length = length
        self.spec = spec
    }

    /// Parses a spec such as `s1:down@10s+20s` against the map's shard ids.
    ///
    /// - Throws: ``SimulationInputError`` naming the spec: an unknown shard, an unknown kind, a
    ///   duration without a unit, a negative start or a length that is not positive.
    public init(parsing spec: String, shardIDs: [String]) throws(SimulationInputError) {
        guard let colon = spec.lastIndex(of: ":", before: spec.firstIndex(of: "@")) else {
            throw .fault(spec, SimulationInputError.faultForm)
        }
        let id = String(spec[..<colon])
        guard let shard = shardIDs.firstIndex(of: id) else {
            let known = shardIDs.prefix(10).joined(separator: ", ") + (shardIDs.count > 10 ? ", …" : "")
            throw .fault(spec, "no shard '\(id)' in the map (shards: \(known))")
        }
        let rest = spec[spec.index(after: colon)...]
        guard let at = rest.firstIndex(of: "@") else {
            throw .fault(spec, "no start time: \(SimulationInputError.faultForm)")
        }
        let kind = try Self.kind(String(rest[..<at]), spec: spec)
        let window = rest[rest.index(after: at)...]
        let startText: Substring
        var length: Duration?
        if let plus = window.firstIndex(of: "+") {
            startText = window[..<plus]
            let lengthText = window[window.index(after: plus)...]
            guard let parsed = DurationText.parse(lengthText), Self.hasUnit(lengthText) else {
                throw .fault(spec, "length '\(lengthText)' is not a duration with a unit, such as 20s")
            }
            guard parsed > .zero else {
                throw .fault(spec, "length '\(lengthText)' must be positive")
            }
            length = parsed
        } else {
            startText = window
        }
        guard let start = DurationText.parse(startText), Self.hasUnit(startText) else {
            throw .fault(spec, "start '\(startText)' is not a duration with a unit, such as 10s")
        }
        guard start >= .zero else {
            throw .fault(spec, "start '\(startText)' must not be negative")
        }
        self.init(shard: shard, kind: kind, start: start, length: length, spec: spec)
    }

    private static func kind(_ text: String, spec: String) throws(SimulationInputError) -> Kind {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts[0]
        let value = parts.count > 1 ? parts[1] : nil
        switch name {
        case "down":
            guard value == nil else { throw .fault(spec, "down takes no value") }
            return .down
        case "slow":
            guard let value else { throw .fault(spec, "slow needs a delay, such as slow=200ms") }
            guard let delay = DurationText.parse(value), Self.hasUnit(value) else {
                throw .fault(spec, "slow delay '\(value)' is not a duration with a unit, such as 200ms")
            }
            guard delay > .zero else { throw .fault(spec, "slow delay '\(value)' must be positive") }
            return .slow(delay)
        case "overload":
            guard let value else { return .overload(share: 1, retryAfter: Self.overloadRetryAfter) }
            guard let share = Double(value), share > 0, share <= 1 else {
                throw .fault(spec, "overload share '\(value)' must be a number above 0 and at most 1, such as overload=0.3")
            }
            return .overload(share: share, retryAfter: Self.overloadRetryAfter)
        default:
            throw .fault(spec, "unknown fault '\(name)': \(SimulationInputError.faultForm)")
        }
    }

    /// "0" alone is the only duration `DurationText` takes without a unit; a fault spec wants units
    /// everywhere, so that `@10` is not read as ten of something.
    private static func hasUnit(_ text: some StringProtocol) -> Bool {
        text.contains { $0.isLetter }
    }

    /// Whether the fault covers `instant` (nanoseconds from the start of the run).
    func covers(_ instant: Int64) -> Bool {
        instant >= self.startNanoseconds && instant < self.endNanoseconds
    }

    var startNanoseconds: Int64 { self.start.nanosecondsClamped }
    /// The end of the window; `Int64.max` when it lasts to the end of the run.
    var endNanoseconds: Int64 {
        guard let length = self.length else { return .max }
        let (sum, overflow) = self.startNanoseconds.addingReportingOverflow(length.nanosecondsClamped)
        return overflow ? .max : sum
    }
}

extension String {
    /// The last `character` before `limit` (or in the whole string when `limit` is `nil`).
    fileprivate func lastIndex(of character: Character, before limit: Index?) -> Index? {
        self[..<(limit ?? self.endIndex)].lastIndex(of: character)
    }
}

