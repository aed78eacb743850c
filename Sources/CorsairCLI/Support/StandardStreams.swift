import Foundation

/// Output helpers: results go to stdout, everything a person should read about failures to stderr.
enum StandardStreams {
    /// Writes a line to stderr.
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Writes raw bytes and a newline to stdout.
    static func output(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes + [UInt8(ascii: "\n")]))
    }
}
