import Foundation
import UnitText

extension ClusterConfig {
    /// The largest config file the loader reads, 4 MiB; a bigger one is refused as ``ShardMapError/Code/fileTooLarge``.
    public static let maximumFileSize = 4 << 20

    /// Loads, parses and validates a YAML or JSON config file.
    ///
    /// Any problem, from a missing file to an uncovered slot, is thrown as a ``ShardMapError`` naming
    /// the file, the key path and, where the parser knows it, the line.
    ///
    /// - Parameter path: The file's path, as it should appear in errors.
    public init(contentsOf path: String) throws(ShardMapError) {
        let bytes = try ConfigFile.read(path)
        self = try ConfigFile.parse(bytes, file: path)
    }

    /// Parses and validates config text in YAML or JSON.
    ///
    /// - Parameters:
    ///   - text: The document.
    ///   - file: The name errors give for the text, or `nil` to give none.
    public init(parsing text: String, file: String? = nil) throws(ShardMapError) {
        self = try ConfigFile.parse(Array(text.utf8), file: file)
    }

    /// Parses and validates config bytes: UTF-8 text in YAML or JSON.
    ///
    /// - Parameters:
    ///   - bytes: The document's bytes; anything that is not UTF-8 text is a ``ShardMapError/Code/syntax`` error.
    ///   - file: The name errors give for the bytes, or `nil` to give none.
    public init(parsing bytes: [UInt8], file: String? = nil) throws(ShardMapError) {
        self = try ConfigFile.parse(bytes, file: file)
    }
}

/// Reading and decoding config files, shared by the initializers and ``ShardMapStore``.
enum ConfigFile {
    /// The file's bytes, at most ``ClusterConfig/maximumFileSize`` of them.
    static func read(_ path: String) throws(ShardMapError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ShardMapError(.unreadableFile, "no such file", file: path)
        }
        if isDirectory.boolValue {
            throw ShardMapError(.unreadableFile, "this is a directory, not a config file", file: path)
        }
        let data: Data?
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            // One byte past the limit tells a file at the limit from a bigger one, without reading
            // all of a huge file or an endless device.
            data = try handle.read(upToCount: ClusterConfig.maximumFileSize + 1)
        } catch {
            let reason = FileManager.default.isReadableFile(atPath: path) ? error.localizedDescription : "permission denied"
            throw ShardMapError(.unreadableFile, "cannot read the file: \(reason)", file: path)
        }
        let bytes = data.map { [UInt8]($0) } ?? []
        guard bytes.count <= ClusterConfig.maximumFileSize else {
            throw ShardMapError(
                .fileTooLarge,
                "the file is larger than \(ByteSizeText.format(ClusterConfig.maximumFileSize)); a config file is a few KiB",
                file: path
            )
        }
        return bytes
    }

    /// Decodes, parses and validates a document.
    static func parse(_ bytes: [UInt8], file: String?) throws(ShardMapError) -> ClusterConfig {
        guard bytes.count <= ClusterConfig.maximumFileSize else {
            throw ShardMapError(
                .fileTooLarge,
                "the text is larger than \(ByteSizeText.format(ClusterConfig.maximumFileSize))",
                file: file
            )
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let (offset, line) = Self.firstInvalidUTF8(in: bytes)
            throw ShardMapError(.syntax, "the file is not UTF-8 text (invalid byte at offset \(offset))", file: file, line: line)
        }
        let outcome = BigStackThread.run { () -> Result<ClusterConfig, ShardMapError> in
            var parser = ConfigParser(file: file)
            do throws(ShardMapError) {
                return .success(try parser.parse(text))
            } catch {
                return .failure(error)
            }
        }
        guard let outcome else {
            throw ShardMapError(.syntax, "the parser did not finish", file: file)
        }
        return try outcome.get()
    }

    /// The offset and line of the first byte that breaks UTF-8.
    private static func firstInvalidUTF8(in bytes: [UInt8]) -> (offset: Int, line: Int) {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        var line = 1
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar):
                if scalar.count == 1, scalar.first == UInt8(ascii: "\n") {
                    line += 1
                }
                offset += scalar.count
            case .error:
                return (offset, line)
            case .emptyInput:
                return (offset, line)
            }
        }
    }
}
