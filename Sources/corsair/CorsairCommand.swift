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
        await Self.main(nil)
    }

    static var versionText: String {
        "corsair \(version) (libzmq \(ZMQ.versionString))"
    }
}
