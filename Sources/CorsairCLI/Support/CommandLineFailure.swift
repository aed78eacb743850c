import ArgumentParser
import Foundation

/// A failure the command line reports: one `error: …` line on stderr, with a hint when the mistake
/// can be guessed, and an exit status.
///
/// Every command fails this way, ArgumentParser's own usage errors included (see
/// ``exit(reporting:)``), so a person sees one style and a script sees one line to match.
struct CommandLineFailure: Error, CustomStringConvertible {
    /// The work itself failed: a request was refused or timed out, a server could not bind.
    static let failed: Int32 = 1
    /// The command cannot run as asked: bad arguments, or a config or key file it cannot use.
    static let unusable: Int32 = 2

    /// What went wrong, on one line.
    var message: String
    /// What to do about it, when it can be guessed.
    var hint: String?
    /// The exit status.
    var status: Int32

    init(_ message: String, hint: String? = nil, status: Int32 = CommandLineFailure.failed) {
        self.message = message
        self.hint = hint
        self.status = status
    }

    /// `error: <message>; <hint>`, on one line.
    var description: String {
        let text = "error: " + self.message + (self.hint.map { "; \($0)" } ?? "")
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// Writes the line on stderr and ends the process with the status.
    func exit() -> Never {
        FileHandle.standardError.write(Data((self.description + "\n").utf8))
        Foundation.exit(self.status)
    }

    /// Ends the process for an error a command threw or the parser raised, in the one style.
    ///
    /// Help and `--version` print as ArgumentParser prints them; an ``ExitCode`` thrown after the
    /// command reported its failure ends with that code; a usage error (ArgumentParser's
    /// validation failure) exits ``unusable``; anything else becomes one `error:` line.
    static func exit(reporting error: any Error) -> Never {
        if let failure = error as? CommandLineFailure {
            failure.exit()
        }
        if let code = error as? ExitCode {
            Foundation.exit(code.rawValue)
        }
        let code = CorsairCommand.exitCode(for: error)
        if code == .success {
            CorsairCommand.exit(withError: error)
        }
        var message = CorsairCommand.message(for: error)
        if let first = message.first, first.isUppercase, message.dropFirst().first?.isLowercase == true {
            // ArgumentParser's sentences start with a capital; ours, like every `error:` line, do not.
            message = first.lowercased() + message.dropFirst()
        }
        let usage = code == .validationFailure
        CommandLineFailure(message, status: usage ? Self.unusable : code.rawValue).exit()
    }
}
