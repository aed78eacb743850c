import Foundation
import PropertyBased
import ShardMap
import Testing

/// Config abuse: whatever the bytes, the loader returns a map or a typed error, never a crash.
@Suite("Config abuse")
struct AbuseTests {
    @Test("Truncated YAML at every length gives a map or a clear error")
    func truncated() throws {
        let text = try String(contentsOfFile: Sample.repositoryConfig("demo.yaml"), encoding: .utf8)
        let bytes = Array(text.utf8)
        // Every 7th cut keeps the test quick while still landing inside keys, values and comments.
        for length in stride(from: 0, to: bytes.count, by: 7) {
            do {
                _ = try ShardMap(ClusterConfig(parsing: Array(bytes[..<length]), file: "cut.yaml"))
            } catch {
                #expect(!error.message.isEmpty)
                #expect(error.file == "cut.yaml")
                #expect(!error.description.contains("\n"), "one line: \(error.description)")
            }
        }
    }

    @Test("A syntax error names its line")
    func syntaxLine() throws {
        let error = try #require(shardMapError { try ClusterConfig(parsing: "cluster: a\nepoch: 1\nrouting: {strategy: slots\nshards: []\n", file: "x.yaml") })
        #expect(error.code == .syntax)
        #expect(error.line != nil)
        #expect(error.description.hasPrefix("x.yaml:"))
    }

    @Test("Binary junk is a syntax error")
    func binaryJunk() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let junk = (0..<Int.random(in: 1...512, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let error = try #require(shardMapError { try ClusterConfig(parsing: junk, file: "junk.bin") })
            #expect([ShardMapError.Code.syntax, .wrongType, .emptyFile, .unknownField, .missingField, .duplicateField].contains(error.code))
            #expect(!error.description.contains("\n"))
        }
        let invalidUTF8 = try #require(shardMapError { try ClusterConfig(parsing: Array("cluster: a\n".utf8) + [0xFF, 0xFE], file: "bad") })
        #expect(invalidUTF8.code == .syntax)
        #expect(invalidUTF8.line == 2)
        #expect(invalidUTF8.message == "the file is not UTF-8 text (invalid byte at offset 11)")

        let nul = try #require(shardMapError { try ClusterConfig(parsing: "cluster: a\u{0}\n", file: "nul") })
        #expect(nul.code == .syntax)
        #expect(nul.line == 1)
    }

    @Test("Deep nesting is refused without exhausting the stack")
    func deepNesting() async throws {
        // libyaml stops at 1000 levels; the parser's own thread has room for all of them, so
        // this must fail cleanly even on a cooperative-pool thread.
        for depth in [500, 999, 5000] {
            let flow = "cluster: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let error = try #require(shardMapError { try ClusterConfig(parsing: flow) })
            #expect([ShardMapError.Code.syntax, .wrongType].contains(error.code))
        }
        // Block nesting costs a line per level; 1500 levels stay under the size limit.
        for depth in [500, 999, 1500] {
            var block = ""
            for level in 0..<depth {
                block += String(repeating: " ", count: level) + "k:\n"
            }
            let blockError = try #require(shardMapError { try ClusterConfig(parsing: block) })
            #expect([ShardMapError.Code.syntax, .unknownField].contains(blockError.code))
        }
    }

    @Test("A deeply nested file loads safely from a thread with a small stack")
    func smallStackCaller() async throws {
        // 999 levels need a few MiB of stack in Yams' composer; a 256 KiB thread (macOS gives
        // secondary threads 512 KiB) would crash if the parse ran on it.
        let text = "cluster: " + String(repeating: "[", count: 999) + String(repeating: "]", count: 999)
        let done = Counter()
        let thread = Thread {
            if case .some(let error) = shardMapError({ try ClusterConfig(parsing: text) }), error.code == .wrongType {
                done.add(1)
            } else {
                done.add(100)
            }
        }
        thread.stackSize = 256 << 10
        thread.start()
        #expect(await eventually { done.value != 0 })
        #expect(done.value == 1)
    }

    @Test("Aliases resolve, and an unknown merge key is refused")
    func aliases() throws {
        let text = """
            cluster: a
            epoch: 1
            routing: {strategy: slots, slots: 2}
            shards:
              - {id: a, endpoint: "tcp://h:1", slots: &all ["0-1"]}
            retry: {deadline: &d 5s, attempt_timeout: *d}
            """
        let config = try ClusterConfig(parsing: text)
        #expect(config.retry.attemptTimeout == .seconds(5))
        let merge = try #require(shardMapError { try ClusterConfig(parsing: "base: &b {cluster: a}\n<<: *b\n") })
        #expect(merge.code == .unknownField)
    }

    @Test("Fuzz: mutated configs give a map or a typed error")
    func fuzzMutations() async {
        // Mutations of a valid config: replaced, dropped, duplicated, inserted and flipped bytes, and cut tails.
        let seedText = Array(Sample.slots(extra: "retry: {attempts: 3, deadline: 10s}\nserver: {max_message_size: 16MiB}\n").utf8)
        let interesting: [UInt8] = Array(":-[]{}\"'#&*!|>%@`,? \n\t0123456789".utf8) + [0, 0xC3, 0xFF]
        let mutation = zip(Gen.int(in: 0...5), Gen.int(in: 0...(seedText.count - 1)), Gen.int(in: 0...(interesting.count - 1)), Gen.int(in: 1...40))
        let mutated = mutation.array(of: 1...8).map { mutations in
            var bytes = seedText
            for (kind, rawPosition, symbol, length) in mutations {
                guard !bytes.isEmpty else { break }
                let position = rawPosition % bytes.count
                let end = min(bytes.count, position + length)
                switch kind {
                case 0: bytes[position] = interesting[symbol]
                case 1: bytes.removeSubrange(position..<end)
                case 2: bytes.insert(contentsOf: bytes[position..<end], at: position)
                case 3: bytes.insert(interesting[symbol], at: position)
                case 4: bytes[position] ^= UInt8(1 << (symbol % 8))
                default: bytes.removeSubrange(end..<bytes.count)
                }
            }
            return bytes
        }
        await propertyCheck(count: 300, input: mutated) { bytes in
            Self.expectMapOrTypedError(bytes)
        }
    }

    @Test("Fuzz: random YAML-ish text gives a map or a typed error")
    func fuzzRandomText() async {
        let alphabet = Array("abcdeklmnoprstuy_:-[]{}\"'#&*!|>%@,? \n\n\n  0123456789".utf8)
        let text = Gen.int(in: 0...(alphabet.count - 1)).array(of: 0...300).map { $0.map { alphabet[$0] } }
        await propertyCheck(count: 300, input: text) { bytes in
            Self.expectMapOrTypedError(bytes)
        }
    }

    static func expectMapOrTypedError(_ bytes: [UInt8]) {
        // Typed throws: the only way out besides a map is a ShardMapError.
        let outcome: Result<ShardMap, ShardMapError>
        do throws(ShardMapError) {
            outcome = .success(try ShardMap(ClusterConfig(parsing: bytes, file: "fuzz.yaml")))
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let map):
            #expect(!map.shards.isEmpty)
        case .failure(let error):
            #expect(!error.message.isEmpty)
            #expect(error.file == "fuzz.yaml")
            #expect(!error.description.contains("\n"), "one line: \(error.description)")
        }
    }
}
