import ArgumentParser
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The `corsair` command line: serve, request, shards, load, tune, simulate, bench, keygen, demo.
@main
struct CorsairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corsair",
        abstract: "Reliable request/reply over ZeroMQ: servers, clients, shard maps, benchmarks.",
        discussion: """
            Every failure is one line `error: …` on stderr, with a hint when the mistake can be \
            guessed. Exit status: 0 on success, 2 for bad arguments (usage errors); each \
            command's help gives the others.
            """,
        version: CorsairCommand.versionText,
        subcommands: CorsairCommand.commands
    )

    static let version = "0.1.0"

    /// Unblocks the signals the servers stop on before anything else runs: a parent may start us
    /// with them blocked (the mask is inherited from the thread that spawned us), and a blocked
    /// SIGTERM would stay pending for ever instead of draining the server.
    static func main() async {
        #if canImport(Glibc)
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            sigaddset(&signals, signal)
        }
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        #endif
        // Parsed and run here rather than by ArgumentParser's main, so that every failure, the
        // parser's usage errors included, ends as one `error:` line (CommandLineFailure).
        do {
            var command = try Self.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            CommandLineFailure.exit(reporting: error)
        }
    }

    static var versionText: String {
        "corsair \(version) (libzmq \(ZMQ.versionString))"
    }
}
