import ArgumentParser
import Corsair
import ZeroMQ

/// `corsair keygen`: a new CURVE keypair, printed or written to files.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a CURVE keypair.",
        discussion: """
            Without --out, prints `public-key: <Z85>` and `secret-key: <Z85>`, one per line. With \
            --out PREFIX, writes PREFIX.pub and PREFIX.key (mode 0600) and prints only the public-key line.
            """
    )

    @Option(name: .customLong("out"), help: ArgumentHelp("Write PREFIX.pub and PREFIX.key instead of printing the secret key.", valueName: "prefix"))
    var prefix: String?

    @Flag(help: "Replace key files that exist.")
    var force = false

    func run() throws {
        let keyPair: CurveKeyPair
        do {
            keyPair = try CurveKeyPair.generate()
        } catch {
            CommandLineOutput.error(error.code == .notSupported ? "this libzmq was built without CURVE" : "\(error)")
            throw ExitCode.failure
        }
        guard let prefix = self.prefix else {
            CommandLineOutput.line("public-key: \(keyPair.publicKey.z85)")
            CommandLineOutput.line("secret-key: \(keyPair.secretKey.z85)")
            return
        }
        do {
            try CurveKeyFile.write(keyPair, prefix: prefix, overwrite: self.force)
        } catch {
            CommandLineOutput.error("\(error)")
            throw ExitCode.failure
        }
        CommandLineOutput.line("public-key: \(keyPair.publicKey.z85)")
    }
}
