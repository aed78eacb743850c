import Foundation
import PropertyBased
import ShardMap
import Testing

/// Structured config fuzzing: a valid config with exactly one field's value replaced by a value of
/// another type or range. Byte-level mutations (AbuseTests) mostly break the YAML syntax; these reach
/// the validation of each field. The loader must give a map or a typed, one-line error, and an error
/// about a field must name that field's key path.
@Suite("Config fuzzing: one field replaced")
struct StructuredFuzzTests {
    /// Each field of the config, as its key path and a template with `@` where the value goes.
    static let fields: [(path: String, template: String)] = {
        let shards = """
            shards:
              - {id: s0, endpoint: "tcp://127.0.0.1:7001", slots: ["0-5460"]}
              - {id: s1, endpoint: "tcp://127.0.0.1:7002", slots: ["5461-10922"]}
              - {id: s2, endpoint: "tcp://127.0.0.1:7003", slots: ["10923-16383"]}

            """
        let head = "cluster: fuzz\nepoch: 1\nrouting: {strategy: slots, slots: 16384, hash: crc16, hash_tag: true}\n"
        func replacing(_ text: String, _ old: String) -> String {
            guard let range = text.range(of: old) else { return text }
            return text.replacingCharacters(in: range, with: "@")
        }
        let whole = head + shards
        return [
            ("cluster", replacing(whole, "fuzz")),
            ("epoch", replacing(whole, "epoch: 1").replacingOccurrences(of: "@", with: "epoch: @")),
            ("routing.strategy", replacing(whole, "slots,").replacingOccurrences(of: "@", with: "@,")),
            ("routing.slots", replacing(whole, "16384")),
            ("routing.hash", replacing(whole, "crc16")),
            ("routing.hash_tag", replacing(whole, "true")),
            ("shards[1].id", replacing(whole, "s1")),
            ("shards[1].endpoint", replacing(whole, "\"tcp://127.0.0.1:7002\"")),
            ("shards[1].slots", replacing(whole, "[\"5461-10922\"]")),
            ("retry.attempt_timeout", whole + "retry: {attempt_timeout: @}\n"),
            ("retry.attempts", whole + "retry: {attempts: @}\n"),
            ("retry.deadline", whole + "retry: {deadline: @}\n"),
            ("retry.backoff.multiplier", whole + "retry: {backoff: {multiplier: @}}\n"),
            ("retry.backoff.jitter", whole + "retry: {backoff: {jitter: @}}\n"),
            ("retry.budget.ratio", whole + "retry: {budget: {ratio: @}}\n"),
            ("retry.circuit_breaker.failures", whole + "retry: {circuit_breaker: {failures: @}}\n"),
            ("retry.mode", whole + "retry: {mode: @}\n"),
            ("server.max_in_flight", whole + "server: {max_in_flight: @}\n"),
            ("server.max_message_size", whole + "server: {max_message_size: @}\n"),
            ("server.reply_cache.ttl", whole + "server: {reply_cache: {ttl: @}}\n"),
        ]
    }()

    /// Values of every YAML type, and numbers and durations out of every range.
    static let values: [String] = [
        "~", "null", "true", "no", "0", "-1", "1", "3", "99999999999999999999999", "-0.0", "1e309", ".nan", ".inf",
        "\"\"", "\"text\"", "x y", "[]", "[1, 2]", "{}", "{a: 1}", "5s", "-5s", "0ms", "250ms", "1.5", "16MiB", "-1KiB",
        "tcp://", "ipc://", "\"tcp://127.0.0.1:7001\"", "[\"0-16383\"]", "[\"16383-0\"]", "[99999]", "\"\\u0000\"",
        "&a 1", "*nowhere", "!!binary aGk=", "'single'", "|\n  block", "[[[[[[]]]]]]",
    ]

    @Test("one field replaced by a value of any type gives a map or a one-line error about that field")
    func oneFieldReplaced() async {
        let input = zip(Gen.int(in: 0...(Self.fields.count - 1)), Gen.int(in: 0...(Self.values.count - 1)))
        await propertyCheck(count: 500, input: input) { fieldIndex, valueIndex in
            let (path, template) = Self.fields[fieldIndex]
            let text = template.replacingOccurrences(of: "@", with: Self.values[valueIndex])
            let outcome: Result<ShardMap, ShardMapError>
            do throws(ShardMapError) {
                outcome = .success(try ShardMap(ClusterConfig(parsing: Array(text.utf8), file: "fuzz.yaml")))
            } catch {
                outcome = .failure(error)
            }
            guard case .failure(let error) = outcome else { return }
            #expect(!error.message.isEmpty)
            #expect(!error.description.contains("\n"), "one line: \(error.description)")
            #expect(error.file == "fuzz.yaml")
            // A value the parser could read is judged in the section it was put in; a routing value
            // may instead break the shards' slot coverage.
            if error.code != .syntax, let keyPath = error.keyPath {
                let section = Self.section(of: path)
                let blamed = Self.section(of: keyPath)
                #expect(
                    blamed == section || (section == "routing" && blamed == "shards"),
                    "value \(Self.values[valueIndex]) in \(path) reported at \(keyPath): \(error)"
                )
            }
        }
    }

    /// The top-level section of a key path: `retry` for `retry.backoff.initial`, `shards` for `shards[1].id`.
    static func section(of keyPath: String) -> String {
        String(keyPath.prefix { $0 != "." && $0 != "[" })
    }
}

/// Found by the random-text fuzzer: a flow-mapping key folded over a blank line ("a\na") made the
/// error's key path, and so the one-line error, span two lines.
@Suite("Config errors stay on one line")
struct OneLineErrorTests {
    @Test("a key holding a line break is escaped in the key path")
    func keyWithLineBreak() {
        let error = shardMapError { try ClusterConfig(parsing: Array("{a\n\na}".utf8), file: "fuzz.yaml") }
        #expect(error?.description.contains("\n") == false, "\(String(describing: error?.description))")
        #expect(error?.description.contains("a\\na") == true, "\(String(describing: error?.description))")
    }
}
