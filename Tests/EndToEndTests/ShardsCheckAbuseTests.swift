import Foundation
import Testing

/// `corsair shards check` on broken config files: one clear line naming the problem, exit status 1.
/// The loader itself is covered in depth by Tests/ShardMapTests (AbuseTests, ValidationTests); this
/// checks what a person at the command line sees.
@Suite("corsair shards check on abused configs (end to end)")
struct ShardsCheckAbuseTests {
    /// A valid three-shard slot map, changed by each case.
    static func config(
        shards: String = """
              - {id: s0, endpoint: "tcp://127.0.0.1:7001", slots: ["0-5460"]}
              - {id: s1, endpoint: "tcp://127.0.0.1:7002", slots: ["5461-10922"]}
              - {id: s2, endpoint: "tcp://127.0.0.1:7003", slots: ["10923-16383"]}
            """,
        extra: String = ""
    ) -> String {
        """
        cluster: abuse
        epoch: 1
        routing: {strategy: slots, slots: 16384, hash: crc16}
        shards:
        \(shards)
        \(extra)
        """
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        /// Words the one-line error must contain, such as the key path and the kind of problem.
        let mentions: [String]
        var testDescription: String { self.name }

        init(_ name: String, _ text: String, _ mentions: [String]) {
            self.init(name, Array(text.utf8), mentions)
        }

        init(_ name: String, _ bytes: [UInt8], _ mentions: [String]) {
            self.name = name
            self.bytes = bytes
            self.mentions = mentions
        }
    }

    static let cases: [Case] = [
        Case("truncated YAML", String(ShardsCheckAbuseTests.config().prefix(120)), ["abuse.yaml"]),
        Case("truncated mid-string", "cluster: \"abu", ["abuse.yaml:1"]),
        Case("binary junk", (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }, ["abuse.yaml"]),
        Case("an empty file", "", ["abuse.yaml", "no settings"]),
        Case("wrong type: epoch is text", ShardsCheckAbuseTests.config().replacingOccurrences(of: "epoch: 1", with: "epoch: soon"), ["epoch"]),
        Case("wrong type: shards is a mapping", "cluster: abuse\nepoch: 1\nrouting: {strategy: jump}\nshards: {s0: tcp://127.0.0.1:1}\n", ["shards"]),
        Case("wrong type: slots is a number", ShardsCheckAbuseTests.config(extra: "").replacingOccurrences(of: "slots: 16384", with: "slots: many"), ["routing.slots"]),
        Case(
            "overlapping slots",
            ShardsCheckAbuseTests.config().replacingOccurrences(of: "\"5461-10922\"", with: "\"5000-10922\""),
            ["shards[1].slots", "5000"]
        ),
        Case(
            "a gap in the slots",
            ShardsCheckAbuseTests.config().replacingOccurrences(of: "\"5461-10922\"", with: "\"5461-10000\""),
            ["10001"]
        ),
        Case(
            "duplicate shard ids",
            ShardsCheckAbuseTests.config().replacingOccurrences(of: "id: s2", with: "id: s0"),
            ["shards[2].id", "s0"]
        ),
        Case(
            "duplicate endpoints",
            ShardsCheckAbuseTests.config().replacingOccurrences(of: "7003", with: "7001"),
            ["shards[2].endpoint"]
        ),
        Case(
            "an endpoint without a port",
            ShardsCheckAbuseTests.config().replacingOccurrences(of: "tcp://127.0.0.1:7002", with: "tcp://127.0.0.1"),
            ["shards[1].endpoint"]
        ),
        Case(
            "an endpoint with an unknown transport",
            ShardsCheckAbuseTests.config().replacingOccurrences(of: "tcp://127.0.0.1:7002", with: "http://127.0.0.1:7002"),
            ["shards[1].endpoint"]
        ),
        Case("no shards", "cluster: abuse\nepoch: 1\nrouting: {strategy: jump}\nshards: []\n", ["shards"]),
        Case("a negative timeout", ShardsCheckAbuseTests.config(extra: "retry: {attempt_timeout: -5s}"), ["retry.attempt_timeout"]),
        Case("a misspelt field", ShardsCheckAbuseTests.config(extra: "retry: {atempts: 3}"), ["atempts"]),
    ]

    @Test("each broken config is one clear error line and exit status 1", arguments: Self.cases)
    func brokenConfig(_ testCase: Case) async throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("abuse.yaml", testCase.bytes)
        let result = try await ChildProcess.run("corsair", ["shards", "check", path], timeout: .seconds(30))
        #expect(result.status == 1, "\(testCase.name): status \(String(describing: result.status)), \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(testCase.name): \(result.stdout)")
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "\(testCase.name): \(result.stderr)")
        #expect(result.stderr.hasPrefix("error: "), "\(testCase.name): \(result.stderr)")
        print("shards check, \(testCase.name): \(result.stderr)", terminator: "")
        for word in testCase.mentions {
            #expect(result.stderr.contains(word), "\(testCase.name): \(result.stderr) should mention \(word)")
        }
    }

    @Test("a missing file is one clear error line and exit status 1")
    func missingFile() async throws {
        let scratch = try ScratchDirectory()
        let result = try await ChildProcess.run("corsair", ["shards", "check", scratch.file("nowhere.yaml")])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains("nowhere.yaml"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test("the valid base config passes")
    func validBase() async throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("abuse.yaml", Self.config())
        let result = try await ChildProcess.run("corsair", ["shards", "check", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("coverage: 16384/16384 slots, 3 shards"), "\(result.stdout)")
    }
}
