/// A problem with a shard-map config file or with a reload, naming the file, the key path and the line.
///
/// Branch on ``code``; ``description`` is one line meant for people, such as
/// `Configs/demo.yaml:12: shards[1].slots[0]: slot 17000 is out of range 0-16383`.
///
/// ```swift
/// do {
///     let map = try ShardMap(contentsOf: "Configs/demo.yaml")
/// } catch let error where error.code == .slotsUncovered {
///     // some slots have no owner
/// }
/// ```
public struct ShardMapError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a value callers can branch on. Opaque so that codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case unreadableFile
            case fileTooLarge
            case syntax
            case emptyFile
            case duplicateField
            case unknownField
            case missingField
            case wrongType
            case invalidValue
            case unknownStrategy
            case slotOutOfRange
            case slotOverlap
            case slotsUncovered
            case duplicateShardID
            case duplicateEndpoint
            case malformedEndpoint
            case malformedKey
            case nonPositiveDuration
            case epochRegressed
            case epochNotIncreased
            case routingChanged
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The file could not be read: missing, a directory, no permission.
        public static let unreadableFile = Code(.unreadableFile)
        /// The file is larger than ``ClusterConfig/maximumFileSize``.
        public static let fileTooLarge = Code(.fileTooLarge)
        /// The text is not valid YAML or JSON, or not UTF-8 text at all.
        public static let syntax = Code(.syntax)
        /// The file holds no document, only blanks or comments.
        public static let emptyFile = Code(.emptyFile)
        /// A mapping names the same field twice.
        public static let duplicateField = Code(.duplicateField)
        /// A field the schema does not know, usually a typo.
        public static let unknownField = Code(.unknownField)
        /// A required field is absent.
        public static let missingField = Code(.missingField)
        /// A value of the wrong kind: a list where a number belongs, text where a mapping belongs.
        public static let wrongType = Code(.wrongType)
        /// A value of the right kind that is not allowed: a zero epoch, an unknown hash, a malformed size.
        public static let invalidValue = Code(.invalidValue)
        /// `routing.strategy` is neither `slots` nor `jump`.
        public static let unknownStrategy = Code(.unknownStrategy)
        /// A slot number is outside `0..<routing.slots`.
        public static let slotOutOfRange = Code(.slotOutOfRange)
        /// A slot is listed more than once.
        public static let slotOverlap = Code(.slotOverlap)
        /// Some slots are owned by no shard.
        public static let slotsUncovered = Code(.slotsUncovered)
        /// Two shards share an id.
        public static let duplicateShardID = Code(.duplicateShardID)
        /// Two shards share an endpoint.
        public static let duplicateEndpoint = Code(.duplicateEndpoint)
        /// An endpoint is not a `tcp://host:port`, `ipc://path` or `inproc://name` address.
        public static let malformedEndpoint = Code(.malformedEndpoint)
        /// A `server_public_key` is not 40 characters of Z85 text.
        public static let malformedKey = Code(.malformedKey)
        /// A duration is zero or negative.
        public static let nonPositiveDuration = Code(.nonPositiveDuration)
        /// A reload offered a map with a lower epoch than the one in use.
        public static let epochRegressed = Code(.epochRegressed)
        /// A reload offered a different map under the epoch already in use.
        public static let epochNotIncreased = Code(.epochNotIncreased)
        /// A reload changed the cluster name or routing, which are fixed for a running map.
        public static let routingChanged = Code(.routingChanged)

        public var description: String {
            switch self.base {
            case .unreadableFile: return "unreadable file"
            case .fileTooLarge: return "file too large"
            case .syntax: return "syntax error"
            case .emptyFile: return "empty file"
            case .duplicateField: return "duplicate field"
            case .unknownField: return "unknown field"
            case .missingField: return "missing field"
            case .wrongType: return "wrong type"
            case .invalidValue: return "invalid value"
            case .unknownStrategy: return "unknown strategy"
            case .slotOutOfRange: return "slot out of range"
            case .slotOverlap: return "slot overlap"
            case .slotsUncovered: return "slots uncovered"
            case .duplicateShardID: return "duplicate shard id"
            case .duplicateEndpoint: return "duplicate endpoint"
            case .malformedEndpoint: return "malformed endpoint"
            case .malformedKey: return "malformed key"
            case .nonPositiveDuration: return "non-positive duration"
            case .epochRegressed: return "epoch regressed"
            case .epochNotIncreased: return "epoch not increased"
            case .routingChanged: return "routing changed"
            }
        }
    }

    /// What went wrong.
    public internal(set) var code: Code
    /// The file the problem is in, as it was named to the loader; `nil` for text parsed from memory.
    public internal(set) var file: String?
    /// Where in the document, such as `shards[1].slots[0]` or `retry.backoff.initial`; `nil` for the whole file.
    public internal(set) var keyPath: String?
    /// The 1-based line, when the parser knows it.
    public internal(set) var line: Int?
    /// The 1-based column, when the parser knows it.
    public internal(set) var column: Int?
    /// The problem in words, without the location.
    public internal(set) var message: String

    /// An error with its code, its message and whatever location is known.
    public init(
        _ code: Code,
        _ message: String,
        file: String? = nil,
        keyPath: String? = nil,
        line: Int? = nil,
        column: Int? = nil
    ) {
        self.code = code
        self.message = message
        self.file = file
        self.keyPath = keyPath.flatMap { $0.isEmpty ? nil : $0 }
        self.line = line
        self.column = column
    }

    /// `file:line: keyPath: message`, leaving out the parts that are not known.
    public var description: String {
        var parts: [String] = []
        switch (self.file, self.line) {
        case let (file?, line?): parts.append("\(file):\(line)")
        case let (file?, nil): parts.append(file)
        case let (nil, line?): parts.append("line \(line)")
        case (nil, nil): break
        }
        if let keyPath = self.keyPath {
            // Keys come from the file as they are; a quoted or flow key may hold a line break.
            parts.append(TextQuote.oneLine(keyPath))
        }
        parts.append(self.message)
        return parts.joined(separator: ": ")
    }
}
