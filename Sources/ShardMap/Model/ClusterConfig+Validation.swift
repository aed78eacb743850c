import UnitText

extension ClusterConfig {
    /// The most shards a map may list.
    public static let maximumShardCount = 65535

    /// Checks every rule a usable map must follow, throwing the first problem found.
    ///
    /// The rules: a named cluster and an epoch of at least 1; routing whose parts fit together; at
    /// least one shard; unique, well-formed shard ids and endpoints; well-formed CURVE keys; with
    /// slot routing, every slot in `0..<slotCount` owned by exactly one shard; positive durations
    /// and counts in the retry and server settings. Loading a file runs this check, and so does
    /// ``ShardMap/init(_:)``.
    ///
    /// Errors carry the key path (such as `shards[1].slots[0]`) but no file or line; the loader adds those.
    public func validate() throws(ShardMapError) {
        _ = try self.validatedSlotOwners()
    }

    /// Validates the config and returns, with slot routing, each slot's owner as an index into
    /// ``shards``; empty with jump routing.
    func validatedSlotOwners() throws(ShardMapError) -> [UInt16] {
        try self.validateIdentity()
        try self.validateRouting()
        try self.validateShards()
        let owners = try self.slotOwners()
        try self.validateRetry()
        try self.validateServer()
        return owners
    }

    private func validateIdentity() throws(ShardMapError) {
        if self.cluster.trimmingSpaces.isEmpty {
            throw ShardMapError(.invalidValue, "the cluster name is empty", keyPath: "cluster")
        }
        if let problem = Self.nameProblem(self.cluster, what: "the cluster name", allowSpaces: true) {
            throw ShardMapError(.invalidValue, problem, keyPath: "cluster")
        }
        if self.epoch == 0 {
            throw ShardMapError(.invalidValue, "the epoch must be at least 1; requests use 0 for \"no map\"", keyPath: "epoch")
        }
    }

    private func validateRouting() throws(ShardMapError) {
        switch self.routing.strategy {
        case .slots:
            guard let count = self.routing.slotCount else {
                throw ShardMapError(.missingField, "slot routing needs a slot count", keyPath: "routing.slots")
            }
            guard (1...RoutingSettings.maximumSlotCount).contains(count) else {
                throw ShardMapError(
                    .invalidValue,
                    "the slot count must be from 1 to \(RoutingSettings.maximumSlotCount), not \(count)",
                    keyPath: "routing.slots"
                )
            }
        case .jump:
            if let count = self.routing.slotCount {
                throw ShardMapError(
                    .invalidValue,
                    "slots: \(count) applies only to strategy: slots; jump routing has no slots",
                    keyPath: "routing.slots"
                )
            }
            if self.routing.hash != .fnv1a64 {
                throw ShardMapError(
                    .invalidValue,
                    "jump routing hashes keys with fnv1a64, not \(self.routing.hash.rawValue)",
                    keyPath: "routing.hash"
                )
            }
        }
    }

    private func validateShards() throws(ShardMapError) {
        guard !self.shards.isEmpty else {
            throw ShardMapError(.invalidValue, "the map lists no shards; it needs at least one", keyPath: "shards")
        }
        guard self.shards.count <= Self.maximumShardCount else {
            throw ShardMapError(
                .invalidValue,
                "the map lists \(self.shards.count) shards; at most \(Self.maximumShardCount) are allowed",
                keyPath: "shards"
            )
        }
        var ids: [String: Int] = [:]
        var endpoints: [String: Int] = [:]
        for (index, shard) in self.shards.enumerated() {
            let path = "shards[\(index)]"
            if let problem = Self.idProblem(shard.id) {
                throw ShardMapError(.invalidValue, problem, keyPath: "\(path).id")
            }
            if let first = ids[shard.id] {
                throw ShardMapError(
                    .duplicateShardID,
                    "shard id \(TextQuote.quoted(shard.id)) is already used by shards[\(first)]",
                    keyPath: "\(path).id"
                )
            }
            ids[shard.id] = index
            if let problem = EndpointText.problem(with: shard.endpoint) {
                throw ShardMapError(.malformedEndpoint, problem, keyPath: "\(path).endpoint")
            }
            if let first = endpoints[shard.endpoint] {
                throw ShardMapError(
                    .duplicateEndpoint,
                    "endpoint \(shard.endpoint) is already used by shards[\(first)] (\(self.shards[first].id))",
                    keyPath: "\(path).endpoint"
                )
            }
            endpoints[shard.endpoint] = index
            if let key = shard.serverPublicKey, let problem = Z85Text.keyProblem(key) {
                throw ShardMapError(.malformedKey, problem, keyPath: "\(path).server_public_key")
            }
            if self.routing.strategy == .jump, !shard.slots.isEmpty {
                throw ShardMapError(
                    .invalidValue,
                    "slot ranges apply only to strategy: slots; with jump routing a shard's place in the list is its bucket",
                    keyPath: "\(path).slots"
                )
            }
        }
    }

    /// Checks that every slot has exactly one owner and returns the owners, slot by slot.
    private func slotOwners() throws(ShardMapError) -> [UInt16] {
        guard self.routing.strategy == .slots, let slotCount = self.routing.slotCount else { return [] }
        struct Entry {
            var range: ClosedRange<Int>
            var shard: Int
            var index: Int
            var path: String { "shards[\(self.shard)].slots[\(self.index)]" }
        }
        var entries: [Entry] = []
        for (shard, info) in self.shards.enumerated() {
            for (index, range) in info.slots.enumerated() {
                let entry = Entry(range: range, shard: shard, index: index)
                guard range.lowerBound >= 0, range.upperBound < slotCount else {
                    let slot = range.lowerBound < 0 ? range.lowerBound : range.upperBound
                    let within = range.lowerBound != range.upperBound ? " (in \(range.lowerBound)-\(range.upperBound))" : ""
                    throw ShardMapError(
                        .slotOutOfRange,
                        "slot \(slot)\(within) is out of range 0-\(slotCount - 1)",
                        keyPath: entry.path
                    )
                }
                entries.append(entry)
            }
        }
        entries.sort { ($0.range.lowerBound, $0.shard, $0.index) < ($1.range.lowerBound, $1.shard, $1.index) }

        var gaps: [ClosedRange<Int>] = []
        var next = 0
        var reach: Entry?
        for entry in entries {
            if let previous = reach, entry.range.lowerBound <= previous.range.upperBound {
                // Blame whichever of the two comes later in the file.
                let (first, second) = (previous.shard, previous.index) < (entry.shard, entry.index)
                    ? (previous, entry) : (entry, previous)
                let common = max(first.range.lowerBound, second.range.lowerBound)
                    ... min(first.range.upperBound, second.range.upperBound)
                let owner = self.shards[first.shard].id
                throw ShardMapError(
                    .slotOverlap,
                    "slots \(Self.describe(common)) are also owned by \(first.path) (\(owner)); every slot needs exactly one owner",
                    keyPath: second.path
                )
            }
            if entry.range.lowerBound > next {
                gaps.append(next...(entry.range.lowerBound - 1))
            }
            next = entry.range.upperBound + 1
            reach = entry
        }
        if next < slotCount {
            gaps.append(next...(slotCount - 1))
        }
        guard gaps.isEmpty else {
            let missing = gaps.reduce(0) { $0 + $1.count }
            let covered = "\(slotCount - missing) of \(slotCount) slots covered"
            var listed = gaps.prefix(5).map(Self.describe).joined(separator: ", ")
            if gaps.count > 5 {
                listed += " and \(gaps.count - 5) more ranges"
            }
            throw ShardMapError(
                .slotsUncovered,
                "slot\(missing == 1 ? "" : "s") \(listed) \(missing == 1 ? "is" : "are") owned by no shard (\(covered))",
                keyPath: "shards"
            )
        }

        var owners = [UInt16](repeating: 0, count: slotCount)
        for entry in entries {
            for slot in entry.range {
                owners[slot] = UInt16(entry.shard)
            }
        }
        return owners
    }

    private func validateRetry() throws(ShardMapError) {
        let retry = self.retry
        try Self.positive(retry.attemptTimeout, "retry.attempt_timeout")
        try Self.atLeast(1, retry.attempts, "retry.attempts")
        try Self.positive(retry.deadline, "retry.deadline")
        try Self.positive(retry.backoff.initial, "retry.backoff.initial")
        try Self.positive(retry.backoff.max, "retry.backoff.max")
        if let initial = retry.backoff.initial, let max = retry.backoff.max, max < initial {
            throw ShardMapError(
                .invalidValue,
                "the longest wait (\(DurationText.format(max))) is shorter than the first (\(DurationText.format(initial)))",
                keyPath: "retry.backoff.max"
            )
        }
        if let multiplier = retry.backoff.multiplier, !(multiplier >= 1) {
            throw ShardMapError(
                .invalidValue,
                "the multiplier must be at least 1, not \(multiplier)",
                keyPath: "retry.backoff.multiplier"
            )
        }
        if let ratio = retry.budget.ratio, !(ratio >= 0) || !ratio.isFinite {
            throw ShardMapError(.invalidValue, "the ratio must be 0 or more, not \(ratio)", keyPath: "retry.budget.ratio")
        }
        if let rate = retry.budget.minPerSecond, !(rate >= 0) || !rate.isFinite {
            throw ShardMapError(
                .invalidValue,
                "min_per_second must be 0 or more, not \(rate)",
                keyPath: "retry.budget.min_per_second"
            )
        }
        try Self.atLeast(1, retry.circuitBreaker.failures, "retry.circuit_breaker.failures")
        try Self.positive(retry.circuitBreaker.openFor, "retry.circuit_breaker.open_for")
        try self.validateHeartbeat()
    }

    private func validateHeartbeat() throws(ShardMapError) {
        let retry = self.retry
        if let interval = retry.heartbeatInterval, interval < .zero {
            throw ShardMapError(
                .invalidValue,
                "the interval must not be negative, not \(DurationText.format(interval)); write off to turn heartbeats off",
                keyPath: "retry.heartbeat_interval"
            )
        }
        guard let timeout = retry.heartbeatTimeout else { return }
        try Self.positive(timeout, "retry.heartbeat_timeout")
        if retry.heartbeatInterval == .zero {
            throw ShardMapError(
                .invalidValue,
                "a heartbeat timeout needs heartbeats, but heartbeat_interval is off",
                keyPath: "retry.heartbeat_timeout"
            )
        }
        // libzmq passes the timeout to the server as a TTL in tenths of a second, in 16 bits.
        let longest = Duration.milliseconds(6_553_500)
        if timeout > longest {
            throw ShardMapError(
                .invalidValue,
                "the timeout must be at most \(DurationText.format(longest)), not \(DurationText.format(timeout))",
                keyPath: "retry.heartbeat_timeout"
            )
        }
    }

    private func validateServer() throws(ShardMapError) {
        let server = self.server
        try Self.atLeast(1, server.maxInFlight, "server.max_in_flight")
        try Self.atLeast(0, server.replyCache.entries, "server.reply_cache.entries")
        try Self.positive(server.replyCache.ttl, "server.reply_cache.ttl")
        try Self.atLeast(1, server.replyCache.maxBytes, "server.reply_cache.max_bytes")
        try Self.atLeast(1, server.maxMessageSize, "server.max_message_size")
        try Self.atLeast(1, server.maxRequestSize, "server.max_request_size")
        try Self.positive(server.drainTimeout, "server.drain_timeout")
    }

    // MARK: - Helpers

    private static func positive(_ duration: Duration?, _ path: String) throws(ShardMapError) {
        if let duration, duration <= .zero {
            throw ShardMapError(
                .nonPositiveDuration,
                "the duration must be positive, not \(DurationText.format(duration))",
                keyPath: path
            )
        }
    }

    private static func atLeast(_ minimum: Int, _ value: Int?, _ path: String) throws(ShardMapError) {
        if let value, value < minimum {
            throw ShardMapError(.invalidValue, "the value must be at least \(minimum), not \(value)", keyPath: path)
        }
    }

    private static func idProblem(_ id: String) -> String? {
        if id.isEmpty {
            return "the shard id is empty"
        }
        if id.utf8.count > ShardInfo.maximumIDLength {
            return "the shard id is \(id.utf8.count) bytes long; at most \(ShardInfo.maximumIDLength) are allowed"
        }
        return Self.nameProblem(id, what: "the shard id", allowSpaces: false)
    }

    private static func nameProblem(_ name: String, what: String, allowSpaces: Bool) -> String? {
        let bad = name.unicodeScalars.contains {
            $0.value < 0x20 || $0.value == 0x7F || (0x80..<0xA0).contains($0.value)
                || (!allowSpaces && $0.properties.isWhitespace)
        }
        guard bad else { return nil }
        let rule = allowSpaces ? "control characters" : "spaces or control characters"
        return "\(what) \(TextQuote.quoted(name)) contains \(rule)"
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
    }
}
