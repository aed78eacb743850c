import UnitText
import Foundation
import ShardMap
import Testing

@Suite("Loading config files")
struct LoadingTests {
    @Test("The demo config loads as a 3-shard Redis-style slot map")
    func demoConfig() throws {
        let map = try ShardMap(contentsOf: Sample.repositoryConfig("demo.yaml"))
        #expect(map.cluster == "demo")
        #expect(map.epoch == 1)
        #expect(map.routing == .slots())
        #expect(map.slotCount == 16384)
        #expect(map.shards.map(\.id) == ["s0", "s1", "s2"])
        #expect(map.shards.map(\.endpoint) == ["tcp://127.0.0.1:5555", "tcp://127.0.0.1:5556", "tcp://127.0.0.1:5557"])
        #expect(map.shards.map(\.slots) == [[0...5460], [5461...10922], [10923...16383]])
        #expect(map.shard(forKey: "foo").id == "s2")
        #expect(map.shard(forKey: "bar").id == "s0")
        #expect(map.shard(forKey: "hello").id == "s0")

        // The example spells out every default; they must agree with the documented ones.
        let retry = map.config.retry
        #expect(retry.attemptTimeout == RetrySettings.Defaults.attemptTimeout)
        #expect(retry.attempts == RetrySettings.Defaults.attempts)
        #expect(retry.deadline == RetrySettings.Defaults.deadline)
        #expect(retry.backoff.initial == RetrySettings.Defaults.backoffInitial)
        #expect(retry.backoff.max == RetrySettings.Defaults.backoffMax)
        #expect(retry.backoff.multiplier == RetrySettings.Defaults.backoffMultiplier)
        #expect(retry.backoff.jitter == RetrySettings.Defaults.jitter)
        #expect(retry.budget.ratio == RetrySettings.Defaults.budgetRatio)
        #expect(retry.budget.minPerSecond == RetrySettings.Defaults.budgetMinPerSecond)
        #expect(retry.circuitBreaker.failures == RetrySettings.Defaults.breakerFailures)
        #expect(retry.circuitBreaker.openFor == RetrySettings.Defaults.breakerOpenFor)
        #expect(retry.mode == RetrySettings.Defaults.mode)
        let server = map.config.server
        #expect(server.maxInFlight == ServerSettings.Defaults.maxInFlight)
        #expect(server.replyCache.entries == ServerSettings.Defaults.replyCacheEntries)
        #expect(server.replyCache.ttl == ServerSettings.Defaults.replyCacheTTL)
        #expect(server.replyCache.maxBytes == ServerSettings.Defaults.replyCacheMaxBytes)
        #expect(server.maxMessageSize == ServerSettings.Defaults.maxMessageSize)
        #expect(server.drainTimeout == ServerSettings.Defaults.drainTimeout)
    }

    @Test("The cluster config uses ports 5601-5603")
    func clusterConfig() throws {
        let map = try ShardMap(contentsOf: Sample.repositoryConfig("cluster.yaml"))
        #expect(map.shards.map(\.endpoint) == ["tcp://127.0.0.1:5601", "tcp://127.0.0.1:5602", "tcp://127.0.0.1:5603"])
        #expect(map.slotCount == 16384)
    }

    @Test("The jump config loads as a jump map with fnv1a64")
    func jumpConfig() throws {
        let map = try ShardMap(contentsOf: Sample.repositoryConfig("jump.yaml"))
        #expect(map.routing == .jump())
        #expect(map.slotCount == nil)
        #expect(map.shards.count == 4)
        #expect(map.config.retry == RetrySettings())
        #expect(map.config.server == ServerSettings())
    }

    @Test("A JSON file loads through the same parser")
    func jsonFile() throws {
        let directory = try TemporaryDirectory()
        let json = """
            {"cluster":"j","epoch":7,"routing":{"strategy":"slots","slots":4,"hash":"fnv1a64","hash_tag":false},
             "shards":[{"id":"a","endpoint":"tcp://10.0.0.1:5555","slots":["0-1"],"server_public_key":null},
                       {"id":"b","endpoint":"ipc:///tmp/b.sock","slots":[2,"3"]}],
             "retry":{"attempt_timeout":"300ms","backoff":{"multiplier":1.5}},
             "server":{"max_message_size":1048576,"max_request_size":"4MiB"}}
            """
        let path = try directory.write("cluster.json", json)
        let config = try ClusterConfig(contentsOf: path)
        #expect(config.epoch == 7)
        #expect(config.routing == .slots(count: 4, hash: .fnv1a64, hashTag: false))
        #expect(config.shards[0].serverPublicKey == nil)
        #expect(config.shards[1].slots == [2...2, 3...3])
        #expect(config.retry.attemptTimeout == .milliseconds(300))
        #expect(config.retry.backoff.multiplier == 1.5)
        #expect(config.server.maxMessageSize == 1 << 20)
        #expect(config.server.maxRequestSize == 4 << 20)
        let map = try ShardMap(config)
        #expect(map.slot(forKey: "x") == Int(FNV1a64.hash("x") % 4))
    }

    @Test("Defaults: routing slots 16384, crc16 for slots, fnv1a64 for jump, hash tags on")
    func routingDefaults() throws {
        let slots = try ClusterConfig(parsing: """
            cluster: c
            epoch: 1
            routing: {strategy: slots}
            shards: [{id: a, endpoint: "tcp://h:1", slots: ["0-16383"]}]
            """)
        #expect(slots.routing == .slots())
        #expect(slots.retry == RetrySettings())
        let jump = try ClusterConfig(parsing: """
            cluster: c
            epoch: 1
            routing: {strategy: jump}
            shards: [{id: a, endpoint: "tcp://h:1"}]
            retry:
            server: ~
            """)
        #expect(jump.routing == .jump())
    }

    @Test("A CURVE key is kept as Z85 text")
    func serverKey() throws {
        let key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
        let config = try ClusterConfig(parsing: Sample.slots(shards: [["0-16383"]]).replacingOccurrences(
            of: "slots: [\"0-16383\"]",
            with: "slots: [\"0-16383\"]\n    server_public_key: \"\(key)\""
        ))
        #expect(config.shards[0].serverPublicKey == key)
    }

    @Test("Lookups through every key type agree")
    func lookupOverloads() throws {
        let map = try ShardMap(contentsOf: Sample.repositoryConfig("demo.yaml"))
        for key in ["foo", "bar", "{user1000}.following", "", "a much longer key that is not a small string at all"] {
            let index = map.shardIndex(forKey: key)
            #expect(map.shardIndex(forKey: Substring(key)) == index)
            #expect(map.shardIndex(forKey: Array(key.utf8)) == index)
            #expect(map.shardIndex(forKey: Data(key.utf8)) == index)
            #expect(map.shardIndex(forKey: key.utf8) == index)
            #expect(Array(key.utf8).withUnsafeBytes { map.shardIndex(forKey: $0) } == index)
            #expect(map.shard(forKey: key) == map.shards[index])
            let slot = try #require(map.slot(forKey: key))
            #expect(map.shardIndex(forSlot: slot) == index)
            #expect(map.slot(forKey: Array(key.utf8)) == slot)
        }
        #expect(map.shard(id: "s1")?.endpoint == "tcp://127.0.0.1:5556")
        #expect(map.shard(id: "nope") == nil)
        #expect(map.shardIndex(id: "s2") == 2)
        #expect(map.shardIndex(forSlot: -1) == nil)
        #expect(map.shardIndex(forSlot: 16384) == nil)
    }

    @Test("A map built in code is validated like a file")
    func programmaticConfig() throws {
        let config = ClusterConfig(
            cluster: "code",
            epoch: 2,
            routing: .slots(count: 8),
            shards: [
                ShardInfo(id: "a", endpoint: "tcp://127.0.0.1:1", slots: [0...3]),
                ShardInfo(id: "b", endpoint: "tcp://127.0.0.1:2", slots: [4...6]),
            ]
        )
        let error = try #require(shardMapError { try ShardMap(config) })
        #expect(error.code == .slotsUncovered)
        #expect(error.keyPath == "shards")
        #expect(error.file == nil)
        #expect(error.description == "shards: slot 7 is owned by no shard (7 of 8 slots covered)")
    }
}

@Suite("Duration and size text")
struct TextFormatTests {
    @Test(
        "Durations parse",
        arguments: [
            ("300ms", Duration.milliseconds(300)), ("2.5s", .milliseconds(2500)), ("2s", .seconds(2)), ("1m", .seconds(60)),
            ("500us", .microseconds(500)), ("500µs", .microseconds(500)), ("10ns", .nanoseconds(10)), ("1h", .seconds(3600)),
            ("1m30s", .seconds(90)), (" 1.5m ", .seconds(90)), (".5s", .milliseconds(500)), ("0", .zero), ("-5s", .seconds(-5)),
            ("0s", .zero),
        ]
    )
    func durations(text: String, duration: Duration) {
        #expect(DurationText.parse(text) == duration)
    }

    @Test("Malformed durations do not parse", arguments: ["", "5", "s", "5 s", "1.2.3s", "5sec", "1d", "ms5", "--5s", "9999999999999h", "1s2"])
    func badDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("Durations format in their largest exact unit")
    func formatDurations() {
        #expect(DurationText.format(.milliseconds(2500)) == "2500ms")
        #expect(DurationText.format(.seconds(5)) == "5s")
        #expect(DurationText.format(.seconds(60)) == "1m")
        #expect(DurationText.format(.microseconds(500)) == "500us")
        #expect(DurationText.format(.zero) == "0s")
        #expect(DurationText.format(.seconds(-2)) == "-2s")
    }

    @Test(
        "Measured durations read to three significant digits in the largest unit below them",
        arguments: [
            (Duration.nanoseconds(300_384_372), "300ms"), (.nanoseconds(1_523_000_000), "1.52s"), (.nanoseconds(45_321), "45.3us"),
            (.milliseconds(2500), "2.5s"), (.seconds(90), "90s"), (.nanoseconds(7), "7ns"), (.zero, "0s"),
            (.nanoseconds(-12_340_000), "-12.3ms"), (.nanoseconds(999_999_999), "1000ms"),
        ]
    )
    func approximateDurations(duration: Duration, text: String) throws {
        #expect(DurationText.approximate(duration) == text)
        // What it writes parses back to within the rounding.
        let back = try #require(DurationText.parse(text))
        #expect(duration == .zero ? back == .zero : abs((back - duration) / duration) < 0.01)
    }

    @Test(
        "Sizes parse",
        arguments: [
            ("16MiB", 16 << 20), ("512KiB", 512 << 10), ("1GiB", 1 << 30), ("1048576", 1 << 20), ("100B", 100),
            ("1.5KiB", 1536), ("2MB", 2_000_000), ("1kB", 1000), (" 7 MiB ", 7 << 20), ("0", 0),
        ]
    )
    func sizes(text: String, bytes: Int) {
        #expect(ByteSizeText.parse(text) == bytes)
    }

    @Test("Malformed sizes do not parse", arguments: ["", "MiB", "16mib", "-1", "1.2.3", "16 Mbit", "99999999999TiB", "."])
    func badSizes(text: String) {
        #expect(ByteSizeText.parse(text) == nil)
    }

    @Test("Sizes format in their largest exact unit")
    func formatSizes() {
        #expect(ByteSizeText.format(16 << 20) == "16MiB")
        #expect(ByteSizeText.format(1000) == "1000")
        #expect(ByteSizeText.format(1536) == "1536")
    }
}
