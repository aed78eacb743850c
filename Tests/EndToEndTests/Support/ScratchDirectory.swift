import Foundation

/// A directory of its own for one test's files and ipc endpoints, removed when released.
///
/// Kept short (`/tmp/cs-XXXXXXXX`) because an ipc endpoint's path must fit in 107 bytes.
final class ScratchDirectory: Sendable {
    let path: String

    init() throws {
        self.path = "/tmp/cs-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: self.path)
    }

    /// The path of `name` in the directory.
    func file(_ name: String) -> String {
        "\(self.path)/\(name)"
    }

    /// An ipc endpoint in the directory, such as `ipc:///tmp/cs-1a2b3c4d/s0.sock`.
    func ipc(_ name: String) -> String {
        "ipc://\(self.path)/\(name).sock"
    }

    /// Writes `bytes` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = self.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try self.write(name, Array(text.utf8))
    }
}
