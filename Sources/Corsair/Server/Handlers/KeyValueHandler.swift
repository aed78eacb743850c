import Synchronization

/// A small in-memory key-value store speaking text commands. `corsair serve --handler kv`.
///
/// Commands, in the first body frame (a trailing newline is ignored; the command word is not
/// case-sensitive):
///
/// | command     | reply                                    |
/// |-------------|------------------------------------------|
/// | `GET k`     | the value, empty when `k` is unset       |
/// | `SET k v`   | `OK`; `v` is everything after `k `       |
/// | `INCR k`    | the new value; an unset key counts as 0  |
/// | `DEL k`     | `OK`                                     |
///
/// Anything else answers `ERR …` with the reason, as a normal reply. The handler also keeps its own
/// records of how often it ran, so a demo can show from the server's side that retries did not
/// execute twice.
///
/// ```swift
/// let store = KeyValueHandler()
/// store.execute("INCR visits")   // "1"
/// store.increments(forKey: "visits")   // 1
/// ```
public final class KeyValueHandler: InlineRequestHandler {
    private struct State {
        var values: [String: String] = [:]
        var executions = 0
        var executionsByKey: [String: Int] = [:]
        var incrementsByKey: [String: Int] = [:]
    }

    private let state = Mutex(State())

    /// An empty store.
    public init() {}

    public func handleInline(_ request: ServerRequest) throws -> ServerReply {
        guard let first = request.body.first else {
            return ServerReply(text: self.execute(""))
        }
        guard let command = String(validating: first, as: UTF8.self) else {
            self.state.withLock { $0.executions += 1 }
            return ServerReply(text: "ERR command is not UTF-8 text")
        }
        return ServerReply(text: self.execute(command))
    }

    /// Runs one text command and returns its reply.
    public func execute(_ command: String) -> String {
        var line = Substring(command)
        while let last = line.last, last == "\n" || last == "\r" {
            line.removeLast()
        }
        let (word, afterWord) = Self.splitFirstWord(line)
        let (key, afterKey) = Self.splitFirstWord(afterWord)
        return self.state.withLock { state -> String in
            state.executions += 1
            guard !word.isEmpty else { return "ERR empty command" }
            let name = word.uppercased()
            switch name {
            case "GET", "SET", "INCR", "DEL":
                break
            default:
                return "ERR unknown command '\(word)'"
            }
            guard !key.isEmpty else { return "ERR \(name) needs a key" }
            let key = String(key)
            state.executionsByKey[key, default: 0] += 1
            switch name {
            case "GET":
                guard afterKey.isEmpty else { return "ERR GET takes one key" }
                return state.values[key] ?? ""
            case "SET":
                state.values[key] = String(afterKey)
                return "OK"
            case "INCR":
                guard afterKey.isEmpty else { return "ERR INCR takes one key" }
                let current = state.values[key] ?? "0"
                guard let number = Int64(current) else { return "ERR value of '\(key)' is not an integer" }
                let (next, overflow) = number.addingReportingOverflow(1)
                guard !overflow else { return "ERR increment of '\(key)' would overflow" }
                state.values[key] = String(next)
                state.incrementsByKey[key, default: 0] += 1
                return String(next)
            default:
                guard afterKey.isEmpty else { return "ERR DEL takes one key" }
                state.values.removeValue(forKey: key)
                return "OK"
            }
        }
    }

    /// How many commands ran, valid or not.
    public var executions: Int {
        self.state.withLock { $0.executions }
    }

    /// How many commands naming `key` ran.
    public func executions(forKey key: String) -> Int {
        self.state.withLock { $0.executionsByKey[key] ?? 0 }
    }

    /// How many `INCR key` commands succeeded: with retries deduplicated, the number of logical increments.
    public func increments(forKey key: String) -> Int {
        self.state.withLock { $0.incrementsByKey[key] ?? 0 }
    }

    /// The value stored under `key`, if any.
    public func value(forKey key: String) -> String? {
        self.state.withLock { $0.values[key] }
    }

    /// Splits off the first space-separated word; the rest keeps everything after that one space.
    private static func splitFirstWord(_ text: Substring) -> (Substring, Substring) {
        let trimmed = text.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " ") else { return (trimmed, "") }
        return (trimmed[..<space], trimmed[trimmed.index(after: space)...])
    }
}
