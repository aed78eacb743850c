import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A status line rewritten in place on stderr, shown only when a person is watching: both stdout
/// and stderr are terminals. Scripts and pipes get plain output with no carriage returns.
struct ProgressLine: Sendable {
    /// Whether a person is watching.
    let isInteractive: Bool

    init() {
        self.isInteractive = isatty(STDOUT_FILENO) != 0 && isatty(STDERR_FILENO) != 0
    }

    /// Replaces the line with `text`, when interactive.
    func show(_ text: String) {
        guard self.isInteractive else { return }
        // Carriage return, then erase to the end of the line: a shorter text leaves no tail.
        FileHandle.standardError.write(Data("\r\(text)\u{1B}[K".utf8))
    }

    /// Clears the line, so that what is printed next starts clean.
    func clear() {
        guard self.isInteractive else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
