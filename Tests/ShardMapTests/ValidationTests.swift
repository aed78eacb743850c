import Foundation
import ShardMap
import Testing

/// Each validation error: its code, key path and line, for a file written to disk so that the
/// file name shows too.
@Suite("Validation errors")
struct ValidationTests {
    let directory: TemporaryDirectory

    init() throws {
        self.directory = try TemporaryDirectory()
    }

    /// Loads `text` from a file and returns the error it must raise.
    func failure(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ShardMapError {
        let path = try self.directory.write("map-\(UUID().uuidString).yaml", text)
        let error = try #require(shardMapError { try ShardMap(contentsOf: path) }, sourceLocation: sourceLocation)
        #expect(error.file == path, sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix(path), sourceLocation: sourceLocation)
        return error
    }

    // Sample.slots() puts shard i's id, endpoint and slots on lines 9 + 3i, 10 + 3i and 11 + 3i.

    @Test("Slot out of range")
    func slotOutOfRange() throws {
        let error = try self.failure(Sample.slots(shards: [["0-5460"], ["5461-10922"], ["10923-17000"]]))
        #expect(error.code == .slotOutOfRange)
        #expect(error.keyPath == "shards[2].slots[0]")
        #expect(error.line == 17)
        #expect(error.description.hasSuffix(":17: shards[2].slots[0]: slot 17000 (in 10923-17000) is out of range 0-16383"))

        let single = try self.failure(Sample.slots(shards: [["0-16383", "16384"]]))
        #expect(single.code == .slotOutOfRange)
        #expect(single.message == "slot 16384 is out of range 0-16383")
        #expect(single.keyPath == "shards[0].slots[1]")
    }

    @Test("Overlapping slots")
    func overlap() throws {
        let error = try self.failure(Sample.slots(shards: [["0-5460"], ["5000-10922"], ["10923-16383"]]))
        #expect(error.code == .slotOverlap)
        #expect(error.keyPath == "shards[1].slots[0]")
        #expect(error.line == 14)
        #expect(error.message.contains("5000-5460"))
        #expect(error.message.contains("shards[0].slots[0] (s0)"))

        let sameShard = try self.failure(Sample.slots(shards: [["0-10", "5-16383"]]))
        #expect(sameShard.code == .slotOverlap)
        #expect(sameShard.keyPath == "shards[0].slots[1]")
    }

    @Test("Missing slots")
    func gaps() throws {
        let error = try self.failure(Sample.slots(shards: [["0-5460"], ["5461-10921"], ["10923-16383"]]))
        #expect(error.code == .slotsUncovered)
        #expect(error.keyPath == "shards")
        #expect(error.line == 9)
        #expect(error.message == "slot 10922 is owned by no shard (16383 of 16384 slots covered)")

        let many = try self.failure(Sample.slots(shards: [["1", "3", "5", "7", "9", "11", "13-16382"]]))
        #expect(many.code == .slotsUncovered)
        #expect(many.message.contains("0, 2, 4, 6, 8 and 3 more ranges"))
    }

    @Test("Duplicate shard ids")
    func duplicateIDs() throws {
        let error = try self.failure(Sample.slots().replacingOccurrences(of: "id: s1", with: "id: s0"))
        #expect(error.code == .duplicateShardID)
        #expect(error.keyPath == "shards[1].id")
        #expect(error.line == 12)
        #expect(error.message == "shard id \"s0\" is already used by shards[0]")
    }

    @Test("Duplicate endpoints")
    func duplicateEndpoints() throws {
        let error = try self.failure(Sample.slots().replacingOccurrences(of: "127.0.0.1:7003", with: "127.0.0.1:7001"))
        #expect(error.code == .duplicateEndpoint)
        #expect(error.keyPath == "shards[2].endpoint")
        #expect(error.line == 16)
    }

    @Test(
        "Malformed endpoints",
        arguments: [
            "127.0.0.1:5555", "tcp://127.0.0.1", "tcp://127.0.0.1:0", "tcp://127.0.0.1:99999", "tcp://127.0.0.1:http",
            "tcp://:5555", "tcp://*:5555", "tcp://[::1:5555", "tcp://exa mple:5555", "udp://127.0.0.1:5555", "ipc://",
            "inproc://", "tcp://bad..host:1", "",
        ]
    )
    func malformedEndpoint(endpoint: String) throws {
        let error = try self.failure(Sample.slots().replacingOccurrences(of: "tcp://127.0.0.1:7002", with: "\"\(endpoint)\""))
        #expect(error.code == .malformedEndpoint)
        #expect(error.keyPath == "shards[1].endpoint")
        #expect(error.line == 13)
    }

    @Test("Well-formed endpoints", arguments: ["tcp://localhost:1", "tcp://[::1]:5555", "tcp://eth0:5555", "ipc:///tmp/x.sock", "inproc://a"])
    func wellFormedEndpoint(endpoint: String) throws {
        let text = Sample.slots().replacingOccurrences(of: "tcp://127.0.0.1:7002", with: "\"\(endpoint)\"")
        #expect(throws: Never.self) { try ShardMap(parsing: text) }
    }

    @Test("Non-positive durations")
    func nonPositiveDurations() throws {
        for value in ["0s", "-5s", "0"] {
            let error = try self.failure(Sample.slots(extra: "retry:\n  backoff:\n    initial: \(value)\n"))
            #expect(error.code == .nonPositiveDuration)
            #expect(error.keyPath == "retry.backoff.initial")
            #expect(error.line == 20)
        }
        let server = try self.failure(Sample.slots(extra: "server:\n  drain_timeout: -1ms\n"))
        #expect(server.code == .nonPositiveDuration)
        #expect(server.keyPath == "server.drain_timeout")
    }

    @Test("Unknown fields, with a hint for typos")
    func unknownFields() throws {
        let root = try self.failure(Sample.slots(extra: "colour: blue\n"))
        #expect(root.code == .unknownField)
        #expect(root.keyPath == "colour")
        #expect(root.line == 18)

        let typo = try self.failure(Sample.slots().replacingOccurrences(of: "epoch: 1", with: "epoch: 1\nepoc: 2"))
        #expect(typo.code == .unknownField)
        #expect(typo.message == "unknown field \"epoc\"; did you mean \"epoch\"?")
        #expect(typo.line == 3)

        let nested = try self.failure(Sample.slots(extra: "retry:\n  backoff:\n    jiter: full\n"))
        #expect(nested.code == .unknownField)
        #expect(nested.keyPath == "retry.backoff.jiter")

        let inShard = try self.failure(Sample.slots().replacingOccurrences(of: "    endpoint: tcp://127.0.0.1:7002", with: "    endpoint: tcp://127.0.0.1:7002\n    weight: 3"))
        #expect(inShard.code == .unknownField)
        #expect(inShard.keyPath == "shards[1].weight")
        #expect(inShard.line == 14)
    }

    @Test("Unknown strategy")
    func unknownStrategy() throws {
        let error = try self.failure(Sample.slots().replacingOccurrences(of: "strategy: slots", with: "strategy: ring"))
        #expect(error.code == .unknownStrategy)
        #expect(error.keyPath == "routing.strategy")
        #expect(error.line == 4)
        #expect(error.message == "unknown strategy \"ring\"; expected slots or jump")
    }

    @Test("Wrong types")
    func wrongTypes() throws {
        let epoch = try self.failure(Sample.slots().replacingOccurrences(of: "epoch: 1", with: "epoch: one"))
        #expect(epoch.code == .wrongType)
        #expect(epoch.keyPath == "epoch")
        #expect(epoch.line == 2)
        #expect(epoch.message.hasSuffix("found text \"one\""))

        let quoted = try self.failure(Sample.slots(extra: "retry:\n  attempts: \"3\"\n"))
        #expect(quoted.code == .wrongType)
        #expect(quoted.keyPath == "retry.attempts")

        let shards = try self.failure(Sample.slots().components(separatedBy: "shards:\n")[0] + "shards: 3\n")
        #expect(shards.code == .wrongType)
        #expect(shards.keyPath == "shards")

        let slots = try self.failure(Sample.slots().replacingOccurrences(of: "slots: [\"0-5460\"]", with: "slots: \"0-5460\""))
        #expect(slots.code == .wrongType)
        #expect(slots.keyPath == "shards[0].slots")
        #expect(slots.line == 11)

        let routing = try self.failure(Sample.slots(extra: "server: [1, 2]\n"))
        #expect(routing.code == .wrongType)
        #expect(routing.keyPath == "server")

        let bool = try self.failure(Sample.slots().replacingOccurrences(of: "hash_tag: true", with: "hash_tag: yes"))
        #expect(bool.code == .wrongType)
        #expect(bool.keyPath == "routing.hash_tag")

        let fraction = try self.failure(Sample.slots(extra: "server:\n  max_in_flight: 2.5\n"))
        #expect(fraction.code == .wrongType)
        #expect(fraction.message == "expected a whole number, found number 2.5")
    }

    @Test("Missing fields")
    func missingFields() throws {
        let endpoint = try self.failure(Sample.slots().replacingOccurrences(of: "    endpoint: tcp://127.0.0.1:7002\n", with: ""))
        #expect(endpoint.code == .missingField)
        #expect(endpoint.keyPath == "shards[1]")
        #expect(endpoint.line == 12)
        #expect(endpoint.message == "missing field \"endpoint\"")

        let epoch = try self.failure(Sample.slots().replacingOccurrences(of: "epoch: 1\n", with: ""))
        #expect(epoch.code == .missingField)
        #expect(epoch.keyPath == nil)
        #expect(epoch.message == "missing field \"epoch\"")

        let empty = try self.failure(Sample.slots().replacingOccurrences(of: "cluster: test", with: "cluster:"))
        #expect(empty.code == .missingField)
        #expect(empty.message == "field \"cluster\" has no value")
        #expect(empty.line == 1)

        let slots = try self.failure(Sample.slots().replacingOccurrences(of: "    slots: [\"0-5460\"]\n", with: ""))
        #expect(slots.code == .missingField)
        #expect(slots.keyPath == "shards[0]")
    }

    @Test("Invalid values")
    func invalidValues() throws {
        let cases: [(String, String, String)] = [
            ("epoch: 1", "epoch: 0", "epoch"),
            ("epoch: 1", "epoch: -3", "epoch"),
            ("slots: 16384", "slots: 0", "routing.slots"),
            ("slots: 16384", "slots: 70000", "routing.slots"),
            ("hash: crc16", "hash: md5", "routing.hash"),
            ("\"0-5460\"", "\"5460-0\"", "shards[0].slots[0]"),
            ("\"0-5460\"", "\"0-5460-7\"", "shards[0].slots[0]"),
            ("\"0-5460\"", "\"zero\"", "shards[0].slots[0]"),
            ("id: s1", "id: \"s 1\"", "shards[1].id"),
            ("id: s1", "id: \"\"", "shards[1].id"),
        ]
        for (old, new, keyPath) in cases {
            let error = try self.failure(Sample.slots().replacingOccurrences(of: old, with: new))
            #expect(error.code == .invalidValue, "\(new)")
            #expect(error.keyPath == keyPath, "\(new)")
            #expect(error.line != nil, "\(new)")
        }
        let extras: [(String, String)] = [
            ("retry:\n  attempts: 0\n", "retry.attempts"),
            ("retry:\n  attempt_timeout: 2500\n", "retry.attempt_timeout"),
            ("retry:\n  deadline: soon\n", "retry.deadline"),
            ("retry:\n  mode: maybe\n", "retry.mode"),
            ("retry:\n  backoff: {jitter: lots}\n", "retry.backoff.jitter"),
            ("retry:\n  backoff: {multiplier: 0.5}\n", "retry.backoff.multiplier"),
            ("retry:\n  backoff: {initial: 2s, max: 1s}\n", "retry.backoff.max"),
            ("retry:\n  budget: {ratio: -1}\n", "retry.budget.ratio"),
            ("retry:\n  circuit_breaker: {failures: 0}\n", "retry.circuit_breaker.failures"),
            ("server:\n  max_message_size: 16 megs\n", "server.max_message_size"),
            ("server:\n  max_request_size: 0\n", "server.max_request_size"),
            ("server:\n  max_in_flight: 0\n", "server.max_in_flight"),
            ("server:\n  reply_cache: {entries: -1}\n", "server.reply_cache.entries"),
            ("server:\n  reply_cache: {max_bytes: 0}\n", "server.reply_cache.max_bytes"),
            ("server:\n  reply_cache: {max_bytes: lots}\n", "server.reply_cache.max_bytes"),
        ]
        for (extra, keyPath) in extras {
            let error = try self.failure(Sample.slots(extra: extra))
            #expect(error.code == .invalidValue, "\(extra)")
            #expect(error.keyPath == keyPath, "\(extra)")
            #expect(error.line != nil, "\(extra)")
        }
        let noUnit = try self.failure(Sample.slots(extra: "retry:\n  attempt_timeout: 2500\n"))
        #expect(noUnit.message.hasPrefix("\"2500\" has no unit"))
    }

    @Test("Jump routing rejects slots and crc16")
    func jumpRules() throws {
        let withRanges = try self.failure(Sample.jump().replacingOccurrences(of: "endpoint: \"tcp://127.0.0.1:7101\"}", with: "endpoint: \"tcp://127.0.0.1:7101\", slots: [\"0-1\"]}"))
        #expect(withRanges.code == .invalidValue)
        #expect(withRanges.keyPath == "shards[0].slots")

        let withCount = try self.failure(Sample.jump().replacingOccurrences(of: "strategy: jump", with: "strategy: jump\n  slots: 16384"))
        #expect(withCount.code == .invalidValue)
        #expect(withCount.keyPath == "routing.slots")
        #expect(withCount.line == 5)

        let crc = try self.failure(Sample.jump().replacingOccurrences(of: "strategy: jump", with: "strategy: jump\n  hash: crc16"))
        #expect(crc.code == .invalidValue)
        #expect(crc.keyPath == "routing.hash")
    }

    @Test("No shards")
    func noShards() throws {
        let error = try self.failure(Sample.slots().components(separatedBy: "shards:\n")[0] + "shards: []\n")
        #expect(error.code == .invalidValue)
        #expect(error.keyPath == "shards")
    }

    @Test("Malformed CURVE key")
    func malformedKey() throws {
        for key in ["short", String(repeating: "a", count: 39) + "~", String(repeating: "é", count: 40)] {
            let text = Sample.slots().replacingOccurrences(of: "    endpoint: tcp://127.0.0.1:7001", with: "    endpoint: tcp://127.0.0.1:7001\n    server_public_key: \"\(key)\"")
            let error = try self.failure(text)
            #expect(error.code == .malformedKey)
            #expect(error.keyPath == "shards[0].server_public_key")
            #expect(error.line == 11)
        }
    }

    @Test("Duplicate fields")
    func duplicateFields() throws {
        let error = try self.failure(Sample.slots().replacingOccurrences(of: "epoch: 1", with: "epoch: 1\nepoch: 2"))
        #expect(error.code == .duplicateField)
        #expect(error.line != nil)
        #expect(error.message.contains("\"epoch\""))
    }

    @Test("Unreadable, empty and oversized files")
    func files() throws {
        let missing = try #require(shardMapError { try ShardMap(contentsOf: self.directory.path("nope.yaml")) })
        #expect(missing.code == .unreadableFile)
        #expect(missing.description == "\(self.directory.path("nope.yaml")): no such file")

        let folder = try #require(shardMapError { try ShardMap(contentsOf: self.directory.url.path) })
        #expect(folder.code == .unreadableFile)

        for text in ["", "\n\n", "# nothing here\n", "---\n", "null\n"] {
            let error = try self.failure(text)
            #expect(error.code == .emptyFile)
        }

        let big = try self.directory.write("big.yaml", Data(count: ClusterConfig.maximumFileSize + 1))
        let tooLarge = try #require(shardMapError { try ShardMap(contentsOf: big) })
        #expect(tooLarge.code == .fileTooLarge)
    }

    @Test("The top level must be a mapping")
    func topLevel() throws {
        let list = try self.failure("- a\n- b\n")
        #expect(list.code == .wrongType)
        #expect(list.keyPath == nil)
        let scalar = try self.failure("just text\n")
        #expect(scalar.code == .wrongType)
    }
}
