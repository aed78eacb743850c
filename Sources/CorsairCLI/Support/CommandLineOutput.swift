import Foundation

/// What a command shows a person or a script: result lines on stdout, one-line errors on stderr.
enum CommandLineOutput {
    /// Writes a line on stdout and flushes it at once, for scripts reading while the command runs.
    static func line(_ text: String) {
        print(text)
        // fflush(nil) flushes stdout without touching the C global, which Swift 6 deems unsafe.
        fflush(nil)
    }

    /// Writes `error: <message>` on stderr, on one line.
    static func error(_ message: String) {
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        FileHandle.standardError.write(Data("error: \(oneLine)\n".utf8))
    }
}
