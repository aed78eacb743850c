#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZeroMQ

/// Reads and writes CURVE key files: one 40-character Z85 key per file, or one per line in an allow-list.
///
/// `corsair keygen --out server` writes `server.pub` (mode 0644) and `server.key` (mode 0600); a
/// server reads its secret key with ``readSecretKey(at:)``, and clients' `.pub` files concatenated
/// make an allow-list for ``readAllowList(at:)``.
public enum CurveKeyFile {
    /// The largest key or allow-list file read, so that a wrong path cannot fill memory.
    static let maximumFileSize = 4 << 20

    /// Reads a secret key file: 40 Z85 characters, surrounding whitespace ignored.
    ///
    /// Any 32 bytes make a CURVE secret key, so a public key passed by mistake would be taken for
    /// one and the server would run under another identity. The file is therefore checked against
    /// the `.key` file beside it (`server.pub` against `server.key`): when that file's secret key
    /// derives the key read, the file is the public half, and it is refused.
    ///
    /// - Throws: ``CorsairServerError`` `wrongKeyHalf` when the file holds the public key of the
    ///   pair beside it (`path` names the secret key file to use instead), `keyFileInsecure` when
    ///   the group or others may read or write the file (fix with `chmod 600`), `keyFileUnreadable`
    ///   when it cannot be read, or `invalidKeyFile` when it does not hold one key.
    public static func readSecretKey(at path: String) throws(CorsairServerError) -> CurveKey {
        let (text, mode) = try self.readText(at: path)
        let key = try self.parseKey(text, path: path, what: "secret key")
        if let secretPath = self.secretKeyFile(besides: path, derivingPublicKey: key) {
            throw CorsairServerError(
                code: .wrongKeyHalf,
                message: "\(path) holds the public key of the pair whose secret key is in \(secretPath)",
                path: secretPath
            )
        }
        if mode & 0o077 != 0 {
            throw CorsairServerError(
                code: .keyFileInsecure,
                message: "secret key file \(path) is accessible by group or others (mode \(String(mode, radix: 8))); run chmod 600 \(path)",
                path: path
            )
        }
        return key
    }

    /// Reads a public key file, such as a server's `.pub` that clients connect with.
    public static func readPublicKey(at path: String) throws(CorsairServerError) -> CurveKey {
        let (text, _) = try self.readText(at: path)
        return try self.parseKey(text, path: path, what: "public key")
    }

    /// The `.key` file beside `path` (same name, other extension), when its secret key derives
    /// `publicKey`; `nil` when there is none, it cannot be read, or its key derives another.
    private static func secretKeyFile(besides path: String, derivingPublicKey publicKey: CurveKey) -> String? {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        let candidate = String(path.dropLast(name.distance(from: dot, to: name.endIndex))) + ".key"
        guard candidate != path,
              let (text, _) = try? self.readText(at: candidate),
              let secretKey = try? self.parseKey(text, path: candidate, what: "secret key"),
              let pair = try? CurveKeyPair(secretKey: secretKey)
        else { return nil }
        return pair.publicKey == publicKey ? candidate : nil
    }

    /// Reads an allow-list: one Z85 public key per line, optionally followed by whitespace and a
    /// `#` comment; blank lines and lines starting with `#` are ignored.
    ///
    /// `#` is also a Z85 character, so a line whose first word is a whole 40-character key is a key
    /// even when it starts with `#`; prefixing a key with `#` comments it out (41 characters).
    ///
    /// - Throws: ``CorsairServerError`` `keyFileUnreadable`, or `invalidKeyFile` naming the first
    ///   line that is not a key.
    public static func readAllowList(at path: String) throws(CorsairServerError) -> Set<CurveKey> {
        let (text, _) = try self.readText(at: path)
        var keys = Set<CurveKey>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.drop { $0.isWhitespace }
            if line.isEmpty { continue }
            let word = line.prefix { !$0.isWhitespace }
            let rest = line.dropFirst(word.count).drop { $0.isWhitespace }
            if let key = CurveKey(z85: String(word)), rest.isEmpty || rest.hasPrefix("#") {
                keys.insert(key)
                continue
            }
            if line.hasPrefix("#") { continue }
            throw CorsairServerError(
                code: .invalidKeyFile,
                message: "allow-list \(path) line \(index + 1): not a 40-character Z85 public key",
                path: path,
                line: index + 1
            )
        }
        return keys
    }

    /// Writes a keypair as `prefix.pub` (mode 0644) and `prefix.key` (mode 0600), each one Z85 key
    /// and a newline.
    /// - Parameters:
    ///   - keyPair: The keys to write.
    ///   - prefix: The path of both files, without their extensions.
    ///   - overwrite: Replace files that exist; by default an existing file is an error, so that a
    ///     secret key is never lost by accident.
    /// - Returns: The paths written.
    @discardableResult
    public static func write(
        _ keyPair: CurveKeyPair,
        prefix: String,
        overwrite: Bool = false
    ) throws(CorsairServerError) -> (publicKeyPath: String, secretKeyPath: String) {
        let publicPath = prefix + ".pub"
        let secretPath = prefix + ".key"
        if !overwrite {
            for path in [publicPath, secretPath] where access(path, F_OK) == 0 {
                throw CorsairServerError(
                    code: .keyFileExists,
                    message: "\(path) exists; remove it or choose another prefix",
                    path: path
                )
            }
        }
        // The secret goes first: if it cannot be written, no orphan public key is left behind.
        try self.writeText(keyPair.secretKey.z85 + "\n", to: secretPath, mode: 0o600, overwrite: overwrite)
        try self.writeText(keyPair.publicKey.z85 + "\n", to: publicPath, mode: 0o644, overwrite: overwrite)
        return (publicPath, secretPath)
    }

    // MARK: Files

    private static func parseKey(_ text: String, path: String, what: String) throws(CorsairServerError) -> CurveKey {
        guard let key = CurveKey(z85: text) else {
            throw CorsairServerError(
                code: .invalidKeyFile,
                message: "\(what) file \(path) does not hold a 40-character Z85 key",
                path: path
            )
        }
        return key
    }

    /// Reads a whole file as UTF-8, with the permission bits of the file actually opened.
    private static func readText(at path: String) throws(CorsairServerError) -> (text: String, mode: mode_t) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw self.unreadable(path, "cannot open", errno)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw self.unreadable(path, "cannot stat", errno)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw CorsairServerError(code: .keyFileUnreadable, message: "\(path) is not a regular file", path: path)
        }
        let mode = info.st_mode & 0o777
        guard Int(info.st_size) <= self.maximumFileSize else {
            throw CorsairServerError(code: .keyFileUnreadable, message: "\(path) is larger than a key file can be", path: path)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw self.unreadable(path, "cannot read", errno)
            }
            bytes.append(contentsOf: chunk[..<count])
            guard bytes.count <= self.maximumFileSize else {
                throw CorsairServerError(code: .keyFileUnreadable, message: "\(path) is larger than a key file can be", path: path)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CorsairServerError(code: .invalidKeyFile, message: "\(path) is not UTF-8 text", path: path)
        }
        return (text, mode)
    }

    private static func writeText(_ text: String, to path: String, mode: mode_t, overwrite: Bool) throws(CorsairServerError) {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL)
        let fd = open(path, flags, mode)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST {
                throw CorsairServerError(code: .keyFileExists, message: "\(path) exists; remove it or choose another prefix", path: path)
            }
            throw CorsairServerError(code: .keyFileUnwritable, message: "cannot create \(path): \(String(cString: strerror(code)))", path: path)
        }
        defer { close(fd) }
        // The umask may have taken bits away, and an overwritten file keeps its old mode: set it.
        guard fchmod(fd, mode) == 0 else {
            throw CorsairServerError(code: .keyFileUnwritable, message: "cannot set the mode of \(path): \(String(cString: strerror(errno)))", path: path)
        }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CorsairServerError(code: .keyFileUnwritable, message: "cannot write \(path): \(String(cString: strerror(errno)))", path: path)
            }
            written += count
        }
    }

    private static func unreadable(_ path: String, _ what: String, _ code: Int32) -> CorsairServerError {
        CorsairServerError(
            code: .keyFileUnreadable,
            message: "\(what) \(path): \(String(cString: strerror(code)))",
            path: path
        )
    }
}

/// POSIX `write`, named apart from ``CurveKeyFile/write(_:prefix:overwrite:)``.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}
