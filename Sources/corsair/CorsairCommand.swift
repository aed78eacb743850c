import ArgumentParser
import ZeroMQ

/// The `corsair` command line: serve, request, shards, load, bench, keygen, demo.
@main
struct CorsairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corsair",
        abstract: "Reliable request/reply over ZeroMQ: servers, clients, shard maps, benchmarks.",
        version: CorsairCommand.versionText,
        subcommands: CorsairCommand.commands
    )

    static let version = "0.1.0"

    static var versionText: String {
        "corsair \(version) (libzmq \(ZMQ.versionString))"
    }
}
