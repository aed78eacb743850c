import ArgumentParser
import Corsair
import Foundation
import Logging
import ServiceLifecycle
import ShardMap
import UnitText
import UnixSignals

/// `corsair serve`: a Corsair server with a built-in handler, until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve requests with a built-in handler on one or more endpoints.",
        discussion: """
            Once bound, prints one line `listening <endpoint>` per endpoint on stdout (wildcard ports \
            resolved); logs go to stderr. SIGTERM or SIGINT stops taking requests, lets requests in \
            flight finish, sends their replies and exits 0.

            With --config FILE --shard ID the server serves one shard of a cluster: it binds that \
            shard's endpoint from the file, takes max_in_flight, reply_cache, max_message_size, max_request_size and \
            drain_timeout from the file's server: section, serves the kv handler unless --handler \
            says otherwise, decides from each request's key whether it owns it (answering "moved" \
            with the owner otherwise; raw requests are refused unless server.allow_raw_requests), \
            and follows the file: it reloads it when it changes and on SIGHUP. \
            --statistics-on-exit then adds misrouted_writes: kv writes run while the map in use \
            gave the key to another shard. Exits 1 with one `error: ...` line when the \
            file cannot be loaded, the shard id is not in it, or the endpoint cannot be bound.
            """
    )

    /// The built-in handlers.
    enum HandlerKind: String, ExpressibleByArgument, CaseIterable {
        case echo
        case kv

        func make() -> any RequestHandler {
            switch self {
            case .echo: return EchoHandler()
            case .kv: return KeyValueHandler()
            }
        }
    }

    @Option(
        name: .customLong("bind"),
        help: ArgumentHelp("An endpoint to bind, such as tcp://*:5555 or tcp://127.0.0.1:*; repeat for more.", valueName: "endpoint")
    )
    var endpoints: [String] = []

    @Option(help: ArgumentHelp(
        "The handler: echo (answers with the request) or kv (GET/SET/INCR/DEL). Default: echo, or kv with --config.",
        valueName: "echo|kv"
    ))
    var handler: HandlerKind?

    @Option(help: ArgumentHelp("A shard-map config file; serve the shard given by --shard from it.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("With --config: the id of the shard to serve.", valueName: "id"))
    var shard: String?

    @Option(name: .customLong("max-in-flight"), help: "Handlers running at once; past this, requests are answered \"overloaded\".")
    var maxInFlight: Int = 1024

    @Option(
        name: .customLong("curve-secret-key-file"),
        help: ArgumentHelp("Encrypt with CURVE using this secret key file (Z85, mode 0600).", valueName: "file")
    )
    var curveSecretKeyFile: String?

    @Option(
        name: .customLong("allow-client-keys-file"),
        help: ArgumentHelp("Accept only the client public keys in this file (one Z85 key per line).", valueName: "file")
    )
    var allowClientKeysFile: String?

    @Option(
        name: .customLong("max-message-size"),
        help: ArgumentHelp("The largest frame a client may send, such as 64KiB; a larger one disconnects it (default 16MiB).", valueName: "size")
    )
    var maxMessageSize: String?

    @Flag(
        name: .customLong("statistics-on-exit"),
        help: "On a clean stop, print one line `statistics {json}` on stdout: replies by status, handler runs, replays, malformed messages, refused handshakes."
    )
    var statisticsOnExit = false

    @OptionGroup var operations: OperationsOptions

    func validate() throws {
        if let size = self.maxMessageSize, (ByteSizeText.parse(size) ?? 0) < 1 {
            throw ValidationError("--max-message-size is not a positive byte count, such as 64KiB")
        }
        if self.config != nil || self.shard != nil {
            guard self.config != nil, self.shard != nil else {
                throw ValidationError("--config and --shard go together")
            }
            guard self.endpoints.isEmpty else {
                throw ValidationError("with --config, the endpoint comes from the file; leave out --bind")
            }
        } else if self.endpoints.isEmpty {
            throw ValidationError("give at least one --bind endpoint, or --config FILE --shard ID")
        }
        guard self.maxInFlight >= 1 else {
            throw ValidationError("--max-in-flight must be at least 1")
        }
        if self.allowClientKeysFile != nil && self.curveSecretKeyFile == nil {
            throw ValidationError("--allow-client-keys-file needs --curve-secret-key-file")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrapForCommandLine(format: self.operations.logFormat)
        ParentWatch.startIfAsked()
        let logger = Logger(label: "corsair.serve")
        if let config = self.config, let shard = self.shard {
            try await self.serveShard(shard, of: config, logger: logger)
            return
        }
        var configuration = CorsairServer.Configuration(endpoints: self.endpoints, maxInFlight: self.maxInFlight)
        if let size = self.maxMessageSize.flatMap({ ByteSizeText.parse($0) }) {
            configuration.maxMessageSize = Int64(size)
        }
        let server = try self.openServer(configuration, defaultHandler: .echo)
        let metrics = try await self.startMetrics(for: server, logger: logger)
        defer { if let metrics { Task { await metrics.stop() } } }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: server)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await self.run(group, announcing: server)
        if self.statisticsOnExit {
            CommandLineOutput.line("statistics \(Self.json(server.statistics))")
        }
    }

    /// The server's statistics as one line of JSON with sorted keys, for scripts and tests; `extra`
    /// adds fields, such as a sharded server's `misrouted_writes`.
    static func json(_ statistics: CorsairServer.Statistics, extra: [String: Int] = [:]) -> String {
        var replies: [String: Int] = [:]
        for (status, count) in statistics.replies {
            replies["\(status)"] = count
        }
        let object: [String: Any] = [
            "replies": replies,
            "handler_executions": statistics.handlerExecutions,
            "raw_requests": statistics.rawRequests,
            "replays": statistics.replays,
            "overload_replies": statistics.overloadReplies,
            "malformed_messages": statistics.malformedMessages,
            "unroutable_replies": statistics.unroutableReplies,
            "authentication_refusals": statistics.authenticationRefusals,
        ].merging(extra) { _, added in added }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

extension ServeCommand {
    /// Starts `--metrics-bind`'s listener, its `/readyz` following `server`'s readiness, and prints
    /// `metrics <host:port>` on stdout; `nil` when not asked.
    func startMetrics(for server: CorsairServer, logger: Logger) async throws -> MetricsEndpoint? {
        guard let address = self.operations.metricsAddress else { return nil }
        let endpoint = try await MetricsEndpoint.start(at: address, readiness: { [server] in
            let readiness = server.readiness
            return readiness.isReady ? nil : readiness.summary
        }, logger: logger)
        CommandLineOutput.line("metrics \(endpoint.bound)")
        return endpoint
    }

    /// Adds CURVE from the key files given and makes the server with the chosen handler; a failure
    /// is one `error:` line and exit 1.
    func openServer(
        _ configuration: CorsairServer.Configuration,
        defaultHandler: HandlerKind,
        handler chosen: (any RequestHandler)? = nil
    ) throws -> CorsairServer {
        var configuration = configuration
        do {
            if let secretKeyFile = self.curveSecretKeyFile {
                configuration.curve = try CurveServerSecurity.load(
                    secretKeyFile: secretKeyFile,
                    allowedClientKeysFile: self.allowClientKeysFile
                )
            }
            let handler = chosen ?? (self.handler ?? defaultHandler).make()
            return try CorsairServer(configuration: configuration, handler: handler)
        } catch {
            throw CommandLineFailure.server(error)
        }
    }

    /// Runs `group` until it stops, printing one `listening <endpoint>` line per endpoint once
    /// `server` has bound them; a failure, such as a port in use, is one `error:` line and exit 1.
    func run(_ group: ServiceGroup, announcing server: CorsairServer) async throws {
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                for endpoint in try await server.boundEndpoints {
                    CommandLineOutput.line("listening \(endpoint)")
                }
                try await tasks.waitForAll()
            }
        } catch {
            // Binding happens here, so a bad or taken endpoint is reported with its hint.
            throw CommandLineFailure.server(error)
        }
    }
}
