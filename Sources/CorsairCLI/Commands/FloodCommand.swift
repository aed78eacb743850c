import ArgumentParser
import Foundation
import ShardMap
import UnitText

/// `corsair flood`: sends a server random malformed messages and prints what was sent, as JSON.
/// Used by the reliability tests and Scripts/flood.sh to show that bad input never takes a server down.
struct FloodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flood",
        abstract: "Send a server random malformed multipart messages and raw junk; print a JSON summary.",
        discussion: """
            Over DEALER, REQ and plain (non-ZMTP) sockets: random frame counts, empty frames, garbage \
            headers, the magic with a broken rest, headers with one field corrupted, wrong body counts, \
            too many frames, and frames one byte over --max-message-size. Every send gives up after 2 s.
            """,
        shouldDisplay: false
    )

    @Option(help: "The server to flood, such as ipc:///tmp/s.sock or tcp://127.0.0.1:5555.")
    var endpoint: String

    @Option(help: "How many messages.")
    var messages = 100_000

    @Option(name: .customLong("max-message-size"), help: "The server's frame size limit; oversized frames are one byte over it.")
    var maxMessageSize = "16MiB"

    @Option(help: "The random seed, to replay a flood exactly.")
    var seed: UInt64 = 1

    func validate() throws {
        guard self.messages >= 0 else { throw ValidationError("--messages must not be negative") }
        guard ByteSizeText.parse(self.maxMessageSize) != nil else {
            throw ValidationError("--max-message-size is not a byte count, such as 64KiB")
        }
    }

    func run() throws {
        var flood = MalformedFlood(
            endpoint: self.endpoint,
            messages: self.messages,
            maxMessageSize: ByteSizeText.parse(self.maxMessageSize) ?? 16 << 20,
            seed: self.seed
        )
        let report: MalformedFlood.Report
        do {
            report = try flood.run()
        } catch {
            CommandLineOutput.error("\(error)")
            throw ExitCode.failure
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        CommandLineOutput.line(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}
