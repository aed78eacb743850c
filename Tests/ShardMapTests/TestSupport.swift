import Foundation
import ShardMap
import Testing

/// A directory of its own under the system's temporary directory, removed when released.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        self.url = FileManager.default.temporaryDirectory
            .appendingPathComponent("corsair-shardmap-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: self.url)
    }

    /// Writes a file atomically (by rename, as most editors save) and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try self.write(name, Data(text.utf8))
    }

    @discardableResult
    func write(_ name: String, _ bytes: Data) throws -> String {
        let file = self.url.appendingPathComponent(name)
        try bytes.write(to: file, options: .atomic)
        return file.path
    }

    func path(_ name: String) -> String {
        self.url.appendingPathComponent(name).path
    }
}

/// Config texts for tests.
enum Sample {
    /// A slot map: one shard per range list, on ports from 7001.
    static func slots(
        cluster: String = "test",
        epoch: UInt64 = 1,
        slots: Int = 16384,
        hash: String = "crc16",
        shards: [[String]] = [["0-5460"], ["5461-10922"], ["10923-16383"]],
        extra: String = ""
    ) -> String {
        var text = """
            cluster: \(cluster)
            epoch: \(epoch)
            routing:
              strategy: slots
              slots: \(slots)
              hash: \(hash)
              hash_tag: true
            shards:

            """
        for (index, ranges) in shards.enumerated() {
            let list = ranges.map { "\"\($0)\"" }.joined(separator: ", ")
            text += """
                  - id: s\(index)
                    endpoint: tcp://127.0.0.1:\(7001 + index)
                    slots: [\(list)]

                """
        }
        return text + extra
    }

    /// A jump map with `count` shards on ports from 7101.
    static func jump(epoch: UInt64 = 1, count: Int = 4) -> String {
        var text = """
            cluster: jumpers
            epoch: \(epoch)
            routing:
              strategy: jump
            shards:

            """
        for index in 0..<count {
            text += "  - {id: j\(index), endpoint: \"tcp://127.0.0.1:\(7101 + index)\"}\n"
        }
        return text
    }

    /// Configs/ in the repository.
    static func repositoryConfig(_ name: String) -> String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Configs")
            .appendingPathComponent(name)
            .path
    }
}

/// The error a throwing expression throws, or `nil` when it does not throw. Any error other than
/// a ``ShardMapError`` is recorded as an issue: the API promises typed errors only.
func shardMapError<T>(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) -> ShardMapError? {
    do {
        _ = try body()
        return nil
    } catch let error as ShardMapError {
        return error
    } catch {
        Issue.record("expected a ShardMapError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Polls `condition` until it holds or `timeout` passes; never a blind sleep.
/// The bound only matters when the condition never holds: it is generous because a 2-core machine
/// running the suite in parallel can leave a task unscheduled for seconds.
func eventually(timeout: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() {
            return true
        }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
