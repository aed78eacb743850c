import UnitText
import Yams

/// Turns config text into a ``ClusterConfig``, walking Yams' node tree by hand so that unknown
/// fields and wrong types are caught and every error names its key path and line.
///
/// The parser checks the schema: which fields exist, what kind of value each holds, and the
/// spelling of enums, durations, sizes and slot ranges. ``ClusterConfig/validate()`` checks the
/// values against each other afterwards; ``positions`` lets its errors point back into the file.
struct ConfigParser {
    /// The file named in errors.
    let file: String?
    /// Where each value visited starts, by key path, for errors found after parsing.
    private(set) var positions: [String: Mark] = [:]

    init(file: String?) {
        self.file = file
    }

    /// Parses and validates a whole document.
    mutating func parse(_ text: String) throws(ShardMapError) -> ClusterConfig {
        let root: Node?
        do {
            // UTF-8 explicitly: the default consults an environment variable and prints to stdout.
            root = try Yams.compose(yaml: text, .default, .default, .utf8)
        } catch let error as YamlError {
            throw self.syntaxError(error, text: text)
        } catch {
            throw ShardMapError(.syntax, "YAML syntax error: \(error)", file: self.file)
        }
        guard let root, !Self.isNull(root) else {
            throw ShardMapError(
                .emptyFile,
                "the file holds no settings; expected a mapping with cluster, epoch, routing and shards",
                file: self.file
            )
        }
        let config = try self.document(root)
        do {
            try config.validate()
        } catch {
            throw self.located(error)
        }
        return config
    }

    /// Adds the file and, when the key path was visited, the line to an error found on the model.
    func located(_ error: ShardMapError) -> ShardMapError {
        var error = error
        error.file = self.file
        if error.line == nil, let keyPath = error.keyPath {
            // An error about a whole list or mapping points at it; one about a field that was left
            // out points at the nearest enclosing value that was there.
            var path = keyPath
            while error.line == nil {
                if let mark = self.positions[path] {
                    error.line = mark.line
                    error.column = mark.column
                }
                guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
                path = String(path[..<cut])
            }
        }
        return error
    }

    // MARK: - The schema

    private mutating func document(_ root: Node) throws(ShardMapError) -> ClusterConfig {
        let fields = try self.fields(root, at: "", allowed: ["cluster", "epoch", "routing", "shards", "retry", "server"])
        let cluster = try self.text(try self.required("cluster", in: fields), at: "cluster")
        let epoch = try self.epoch(try self.required("epoch", in: fields), at: "epoch")
        let routing = try self.routing(try self.required("routing", in: fields), at: "routing")
        let shards = try self.shards(try self.required("shards", in: fields), at: "shards", routing: routing)
        var retry = RetrySettings()
        if let node = self.optional("retry", in: fields) {
            retry = try self.retry(node, at: "retry")
        }
        var server = ServerSettings()
        if let node = self.optional("server", in: fields) {
            server = try self.server(node, at: "server")
        }
        return ClusterConfig(cluster: cluster, epoch: epoch, routing: routing, shards: shards, retry: retry, server: server)
    }

    private mutating func routing(_ node: Node, at path: String) throws(ShardMapError) -> RoutingSettings {
        let fields = try self.fields(node, at: path, allowed: ["strategy", "slots", "hash", "hash_tag"])
        let strategyNode = try self.required("strategy", in: fields)
        let strategyName = try self.text(strategyNode, at: "\(path).strategy")
        guard let strategy = RoutingSettings.Strategy(rawValue: strategyName) else {
            throw self.error(
                .unknownStrategy,
                "unknown strategy \(TextQuote.quoted(strategyName)); expected slots or jump",
                at: "\(path).strategy",
                strategyNode
            )
        }
        var slotCount: Int?
        if let slotsNode = self.optional("slots", in: fields) {
            slotCount = try self.integer(slotsNode, at: "\(path).slots")
        } else if strategy == .slots {
            slotCount = RoutingSettings.defaultSlotCount
        }
        var hash: RoutingSettings.Hash = strategy == .slots ? .crc16 : .fnv1a64
        if let hashNode = self.optional("hash", in: fields) {
            hash = try self.choice(hashNode, at: "\(path).hash", what: "hash")
        }
        var hashTag = true
        if let tagNode = self.optional("hash_tag", in: fields) {
            hashTag = try self.bool(tagNode, at: "\(path).hash_tag")
        }
        return RoutingSettings(strategy: strategy, slotCount: slotCount, hash: hash, hashTag: hashTag)
    }

    private mutating func shards(_ node: Node, at path: String, routing: RoutingSettings) throws(ShardMapError) -> [ShardInfo] {
        guard case .sequence(let sequence) = node else {
            throw self.wrongType(node, at: path, expected: "a list of shards")
        }
        var shards: [ShardInfo] = []
        shards.reserveCapacity(sequence.count)
        for (index, item) in sequence.enumerated() {
            let itemPath = "\(path)[\(index)]"
            self.record(item, at: itemPath)
            let fields = try self.fields(item, at: itemPath, allowed: ["id", "endpoint", "slots", "server_public_key"])
            let id = try self.text(try self.required("id", in: fields), at: "\(itemPath).id")
            let endpoint = try self.text(try self.required("endpoint", in: fields), at: "\(itemPath).endpoint")
            var slots: [ClosedRange<Int>] = []
            if routing.strategy == .slots {
                slots = try self.slotRanges(try self.required("slots", in: fields), at: "\(itemPath).slots")
            } else if let slotsNode = self.optional("slots", in: fields) {
                slots = try self.slotRanges(slotsNode, at: "\(itemPath).slots")
            }
            var key: String?
            if let keyNode = self.optional("server_public_key", in: fields) {
                key = try self.text(keyNode, at: "\(itemPath).server_public_key")
            }
            shards.append(ShardInfo(id: id, endpoint: endpoint, slots: slots, serverPublicKey: key))
        }
        return shards
    }

    private mutating func slotRanges(_ node: Node, at path: String) throws(ShardMapError) -> [ClosedRange<Int>] {
        guard case .sequence(let sequence) = node else {
            throw self.wrongType(node, at: path, expected: "a list of slot ranges such as [\"0-5460\"]")
        }
        var ranges: [ClosedRange<Int>] = []
        ranges.reserveCapacity(sequence.count)
        for (index, item) in sequence.enumerated() {
            ranges.append(try self.slotRange(item, at: "\(path)[\(index)]"))
        }
        return ranges
    }

    private mutating func slotRange(_ node: Node, at path: String) throws(ShardMapError) -> ClosedRange<Int> {
        let text = try self.text(node, at: path, expected: "a slot or a slot range such as \"0-5460\"")
        let parts = text.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
            throw self.error(
                .invalidValue,
                "\(TextQuote.quoted(text)) is not a slot or a slot range; write a number such as 42 or a range such as 0-5460",
                at: path,
                node
            )
        }
        guard let lower = Int(parts[0]), let upper = Int(parts[parts.count - 1]) else {
            throw self.error(.slotOutOfRange, "slot \(TextQuote.quoted(text)) is out of range", at: path, node)
        }
        guard lower <= upper else {
            throw self.error(
                .invalidValue,
                "slot range \(lower)-\(upper) runs backwards; write \(upper)-\(lower)",
                at: path,
                node
            )
        }
        return lower...upper
    }

    private mutating func retry(_ node: Node, at path: String) throws(ShardMapError) -> RetrySettings {
        let fields = try self.fields(
            node,
            at: path,
            allowed: [
                "attempt_timeout", "attempts", "deadline", "backoff", "budget", "circuit_breaker", "mode",
                "heartbeat_interval", "heartbeat_timeout",
            ]
        )
        var retry = RetrySettings()
        if let value = self.optional("attempt_timeout", in: fields) {
            retry.attemptTimeout = try self.duration(value, at: "\(path).attempt_timeout")
        }
        if let value = self.optional("attempts", in: fields) {
            retry.attempts = try self.integer(value, at: "\(path).attempts")
        }
        if let value = self.optional("deadline", in: fields) {
            retry.deadline = try self.duration(value, at: "\(path).deadline")
        }
        if let value = self.optional("backoff", in: fields) {
            let backoffPath = "\(path).backoff"
            let backoff = try self.fields(value, at: backoffPath, allowed: ["initial", "max", "multiplier", "jitter"])
            if let value = self.optional("initial", in: backoff) {
                retry.backoff.initial = try self.duration(value, at: "\(backoffPath).initial")
            }
            if let value = self.optional("max", in: backoff) {
                retry.backoff.max = try self.duration(value, at: "\(backoffPath).max")
            }
            if let value = self.optional("multiplier", in: backoff) {
                retry.backoff.multiplier = try self.number(value, at: "\(backoffPath).multiplier")
            }
            if let value = self.optional("jitter", in: backoff) {
                retry.backoff.jitter = try self.choice(value, at: "\(backoffPath).jitter", what: "jitter")
            }
        }
        if let value = self.optional("budget", in: fields) {
            let budgetPath = "\(path).budget"
            let budget = try self.fields(value, at: budgetPath, allowed: ["ratio", "min_per_second"])
            if let value = self.optional("ratio", in: budget) {
                retry.budget.ratio = try self.number(value, at: "\(budgetPath).ratio")
            }
            if let value = self.optional("min_per_second", in: budget) {
                retry.budget.minPerSecond = try self.number(value, at: "\(budgetPath).min_per_second")
            }
        }
        if let value = self.optional("circuit_breaker", in: fields) {
            let breakerPath = "\(path).circuit_breaker"
            let breaker = try self.fields(value, at: breakerPath, allowed: ["failures", "open_for"])
            if let value = self.optional("failures", in: breaker) {
                retry.circuitBreaker.failures = try self.integer(value, at: "\(breakerPath).failures")
            }
            if let value = self.optional("open_for", in: breaker) {
                retry.circuitBreaker.openFor = try self.duration(value, at: "\(breakerPath).open_for")
            }
        }
        if let value = self.optional("mode", in: fields) {
            retry.mode = try self.choice(value, at: "\(path).mode", what: "mode")
        }
        if let value = self.optional("heartbeat_interval", in: fields) {
            retry.heartbeatInterval = try self.durationOrOff(value, at: "\(path).heartbeat_interval")
        }
        if let value = self.optional("heartbeat_timeout", in: fields) {
            retry.heartbeatTimeout = try self.duration(value, at: "\(path).heartbeat_timeout")
        }
        return retry
    }

    private mutating func server(_ node: Node, at path: String) throws(ShardMapError) -> ServerSettings {
        let fields = try self.fields(
            node,
            at: path,
            allowed: ["max_in_flight", "reply_cache", "max_message_size", "max_request_size", "drain_timeout", "allow_raw_requests"]
        )
        var server = ServerSettings()
        if let value = self.optional("max_in_flight", in: fields) {
            server.maxInFlight = try self.integer(value, at: "\(path).max_in_flight")
        }
        if let value = self.optional("reply_cache", in: fields) {
            let cachePath = "\(path).reply_cache"
            let cache = try self.fields(value, at: cachePath, allowed: ["entries", "ttl", "max_bytes"])
            if let value = self.optional("entries", in: cache) {
                server.replyCache.entries = try self.integer(value, at: "\(cachePath).entries")
            }
            if let value = self.optional("ttl", in: cache) {
                server.replyCache.ttl = try self.duration(value, at: "\(cachePath).ttl")
            }
            if let value = self.optional("max_bytes", in: cache) {
                server.replyCache.maxBytes = try self.byteSize(value, at: "\(cachePath).max_bytes")
            }
        }
        if let value = self.optional("max_message_size", in: fields) {
            server.maxMessageSize = try self.byteSize(value, at: "\(path).max_message_size")
        }
        if let value = self.optional("max_request_size", in: fields) {
            server.maxRequestSize = try self.byteSize(value, at: "\(path).max_request_size")
        }
        if let value = self.optional("drain_timeout", in: fields) {
            server.drainTimeout = try self.duration(value, at: "\(path).drain_timeout")
        }
        if let value = self.optional("allow_raw_requests", in: fields) {
            server.allowRawRequests = try self.bool(value, at: "\(path).allow_raw_requests")
        }
        return server
    }

    // MARK: - Mappings

    /// The fields of a mapping, each with the node of its name (for its line) and its value.
    private struct Fields {
        let path: String
        let node: Node
        var values: [String: (name: Node, value: Node)] = [:]
    }

    private mutating func fields(_ node: Node, at path: String, allowed: [String]) throws(ShardMapError) -> Fields {
        guard case .mapping(let mapping) = node else {
            throw self.wrongType(node, at: path, expected: "a mapping of \(allowed.joined(separator: ", "))")
        }
        self.record(node, at: path)
        var fields = Fields(path: path, node: node)
        for (name, value) in mapping {
            guard case .scalar(let scalar) = name else {
                throw self.error(.wrongType, "a field name must be text, not \(Self.describe(name))", at: path, name)
            }
            let fieldName = scalar.string
            let fieldPath = Self.join(path, fieldName)
            guard allowed.contains(fieldName) else {
                throw self.error(.unknownField, Self.unknownFieldMessage(fieldName, allowed: allowed), at: fieldPath, name)
            }
            guard fields.values[fieldName] == nil else {
                let message = "field \(TextQuote.quoted(fieldName)) appears more than once"
                throw self.error(.duplicateField, message, at: fieldPath, name)
            }
            fields.values[fieldName] = (name, value)
            self.record(value, at: fieldPath)
        }
        return fields
    }

    private func required(_ name: String, in fields: Fields) throws(ShardMapError) -> Node {
        guard let value = fields.values[name]?.value, !Self.isNull(value) else {
            let message = fields.values[name] == nil
                ? "missing field \(TextQuote.quoted(name))"
                : "field \(TextQuote.quoted(name)) has no value"
            throw self.error(.missingField, message, at: fields.path, fields.values[name]?.name ?? fields.node)
        }
        return value
    }

    /// The value of an optional field; `nil` when it is absent or null, as JSON writers spell "not set".
    private func optional(_ name: String, in fields: Fields) -> Node? {
        guard let value = fields.values[name]?.value, !Self.isNull(value) else { return nil }
        return value
    }

    private static func unknownFieldMessage(_ name: String, allowed: [String]) -> String {
        var message = "unknown field \(TextQuote.quoted(name))"
        let close = allowed.min { Self.editDistance(name, $0) < Self.editDistance(name, $1) }
        if let close, Self.editDistance(name, close) <= 2 {
            message += "; did you mean \(TextQuote.quoted(close))?"
        } else {
            message += "; expected one of \(allowed.joined(separator: ", "))"
        }
        return message
    }

    // MARK: - Scalars

    private mutating func scalar(_ node: Node, at path: String, expected: String) throws(ShardMapError) -> Node.Scalar {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            throw self.wrongType(node, at: path, expected: expected)
        }
        self.record(node, at: path)
        return scalar
    }

    private mutating func text(_ node: Node, at path: String, expected: String = "text") throws(ShardMapError) -> String {
        try self.scalar(node, at: path, expected: expected).string
    }

    private mutating func integer(_ node: Node, at path: String) throws(ShardMapError) -> Int {
        let scalar = try self.scalar(node, at: path, expected: "a whole number")
        guard scalar.style == .plain, let value = Int(scalar.string) else {
            if scalar.style == .plain, scalar.string.allSatisfy({ $0.isASCIIDigit || $0 == "-" || $0 == "+" }) {
                throw self.error(.invalidValue, "\(scalar.string) is too large", at: path, node)
            }
            throw self.wrongType(node, at: path, expected: "a whole number")
        }
        return value
    }

    private mutating func epoch(_ node: Node, at path: String) throws(ShardMapError) -> UInt64 {
        let scalar = try self.scalar(node, at: path, expected: "a whole number")
        guard scalar.style == .plain, let value = UInt64(scalar.string) else {
            if scalar.style == .plain, let negative = Int(scalar.string), negative < 0 {
                throw self.error(.invalidValue, "the epoch must be at least 1, not \(negative)", at: path, node)
            }
            throw self.wrongType(node, at: path, expected: "a whole number from 1 to \(UInt64.max)")
        }
        return value
    }

    private mutating func number(_ node: Node, at path: String) throws(ShardMapError) -> Double {
        let scalar = try self.scalar(node, at: path, expected: "a number")
        guard scalar.style == .plain, let value = Double(scalar.string), value.isFinite,
              scalar.string.allSatisfy({ $0.isASCIIDigit || "+-.eE".contains($0) })
        else {
            throw self.wrongType(node, at: path, expected: "a number")
        }
        return value
    }

    private mutating func bool(_ node: Node, at path: String) throws(ShardMapError) -> Bool {
        let scalar = try self.scalar(node, at: path, expected: "true or false")
        switch (scalar.style, scalar.string) {
        case (.plain, "true"), (.plain, "True"), (.plain, "TRUE"): return true
        case (.plain, "false"), (.plain, "False"), (.plain, "FALSE"): return false
        default: throw self.wrongType(node, at: path, expected: "true or false")
        }
    }

    private mutating func duration(_ node: Node, at path: String) throws(ShardMapError) -> Duration {
        let text = try self.text(node, at: path, expected: "a duration such as 2500ms, 2.5s or 1m")
        guard let duration = DurationText.parse(text) else {
            let hint = text.allSatisfy(\.isASCIIDigit) ? " has no unit" : " is not a duration"
            throw self.error(
                .invalidValue,
                "\(TextQuote.quoted(text))\(hint); write a number and a unit (ns, us, ms, s, m, h), such as 2500ms, 2.5s or 1m",
                at: path,
                node
            )
        }
        return duration
    }

    /// A duration, or `off` (also `0s`) for zero: a feature turned off.
    private mutating func durationOrOff(_ node: Node, at path: String) throws(ShardMapError) -> Duration {
        if try self.text(node, at: path, expected: "a duration such as 1s, or off") == "off" {
            return .zero
        }
        return try self.duration(node, at: path)
    }

    private mutating func byteSize(_ node: Node, at path: String) throws(ShardMapError) -> Int {
        let text = try self.text(node, at: path, expected: "a size such as 16MiB")
        guard let size = ByteSizeText.parse(text) else {
            throw self.error(
                .invalidValue,
                "\(TextQuote.quoted(text)) is not a size; write bytes or a number and a unit (KiB, MiB, GiB), such as 16MiB",
                at: path,
                node
            )
        }
        return size
    }

    private mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ node: Node,
        at path: String,
        what: String
    ) throws(ShardMapError) -> Choice where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        let text = try self.text(node, at: path, expected: names.joined(separator: " or "))
        guard let value = Choice(rawValue: text) else {
            throw self.error(
                .invalidValue,
                "unknown \(what) \(TextQuote.quoted(text)); expected \(names.joined(separator: ", "))",
                at: path,
                node
            )
        }
        return value
    }

    // MARK: - Errors

    private mutating func record(_ node: Node, at path: String) {
        if self.positions[path] == nil, let mark = node.mark {
            self.positions[path] = mark
        }
    }

    private func error(_ code: ShardMapError.Code, _ message: String, at path: String, _ node: Node) -> ShardMapError {
        ShardMapError(code, message, file: self.file, keyPath: path, line: node.mark?.line, column: node.mark?.column)
    }

    private func wrongType(_ node: Node, at path: String, expected: String) -> ShardMapError {
        self.error(.wrongType, "expected \(expected), found \(Self.describe(node))", at: path, node)
    }

    private func syntaxError(_ error: YamlError, text: String) -> ShardMapError {
        func context(_ context: YamlError.Context?) -> String {
            guard let context else { return "" }
            return " (\(context.text) at line \(context.mark.line))"
        }
        switch error {
        case let .scanner(ctx, problem, mark, _), let .parser(ctx, problem, mark, _), let .composer(ctx, problem, mark, _):
            return ShardMapError(
                .syntax,
                "YAML syntax error: \(problem)\(context(ctx))",
                file: self.file,
                line: mark.line,
                column: mark.column
            )
        case let .reader(problem, offset, value, _):
            var line: Int?
            if let offset {
                line = 1 + text.prefix(offset).reduce(0) { $0 + ($1 == "\n" ? 1 : 0) }
            }
            let hex = String(value, radix: 16, uppercase: true)
            let character = value >= 0 ? " (U+\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex))" : ""
            return ShardMapError(.syntax, "unreadable text: \(problem)\(character)", file: self.file, line: line)
        case let .duplicatedKeysInMapping(duplicates, ctx):
            let names = duplicates.map { TextQuote.quoted($0) }.joined(separator: ", ")
            return ShardMapError(
                .duplicateField,
                "field \(names) appears more than once",
                file: self.file,
                line: ctx.mark.line > 0 ? ctx.mark.line : nil
            )
        default:
            return ShardMapError(.syntax, "YAML syntax error: \(error)", file: self.file)
        }
    }

    // MARK: - Helpers

    private static func join(_ path: String, _ field: String) -> String {
        path.isEmpty ? field : "\(path).\(field)"
    }

    /// Whether a node is YAML's null: no value at all, `~` or `null`.
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        switch scalar.string {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    /// A node's kind and value in words, for "expected X, found Y".
    private static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if Self.isNull(node) {
                return "no value"
            }
            if scalar.style == .plain {
                switch scalar.string {
                case "true", "True", "TRUE", "false", "False", "FALSE":
                    return "boolean \(scalar.string)"
                default:
                    if Double(scalar.string) != nil, scalar.string.allSatisfy({ $0.isASCIIDigit || "+-.eE".contains($0) }) {
                        return "number \(scalar.string)"
                    }
                }
            }
            return "text \(TextQuote.quoted(scalar.string))"
        }
    }

    /// Levenshtein distance, for "did you mean" hints on short field names.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8.prefix(64))
        let b = Array(b.utf8.prefix(64))
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
