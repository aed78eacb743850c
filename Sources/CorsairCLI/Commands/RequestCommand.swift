import ArgumentParser
import Corsair
import UnitText
import Logging
import ShardMap
import ZeroMQ

/// `corsair request`: sends one request through the Lazy Pirate engine and prints the reply body.
struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Send one request and print the reply body.",
        discussion: """
            Either --endpoint (one server) or --config with --key or --shard (routed through the \
            shard map; retry settings come from the file unless given here). Prints the reply body \
            on stdout and exits 0. On failure prints the typed error as one line on stderr, such \
            as "error: abandoned after 3 attempts: no reply within 2500ms", with a hint when the \
            mistake can be guessed (a missing --raw or --server-public-key, an endpoint without \
            its transport), and exits 1; a config, key file, endpoint or argument problem exits 2.
            """
    )

    @Option(help: "The server to send to, such as tcp://127.0.0.1:5555.")
    var endpoint: String?

    @Option(help: "A shard-map config file to route through.")
    var config: String?

    // Unconditional: a key may begin with "-" and must not be read as an option.
    @Option(parsing: .unconditional, help: "With --config: the key whose shard serves the request.")
    var key: String?

    @Option(help: "With --config: the shard id to send to, bypassing key routing.")
    var shard: String?

    @Flag(help: "Send only the body frame and accept any reply (plain REQ/REP peers).")
    var raw = false

    @Option(help: "How long each attempt waits for its reply (default 2500ms).", transform: DurationArgument.parse)
    var timeout: DurationArgument?

    @Option(help: "How many sends in all (default 3).")
    var attempts: Int?

    @Option(help: "The overall deadline (default 10s).", transform: DurationArgument.parse)
    var deadline: DurationArgument?

    // Unconditional: "-" is a Z85 character, so one key in 85 begins with it, and the parser would
    // otherwise take that key for an option and fail with a usage error.
    @Option(parsing: .unconditional, help: "The server's CURVE public key (Z85), to encrypt and authenticate.")
    var serverPublicKey: String?

    @Option(
        name: .customLong("client-key-file"),
        help: ArgumentHelp(
            "With CURVE: present the keypair in PREFIX.key (as written by `corsair keygen --out PREFIX`), so an allow-list can admit this client; by default a fresh keypair is used.",
            valueName: "prefix"
        )
    )
    var clientKeyFile: String?

    @Flag(name: .shortAndLong, help: "Print each attempt, timeout and reconnect on stderr.")
    var verbose = false

    @Argument(help: "The request body, sent as one frame.")
    var body: String

    func validate() throws {
        guard (self.endpoint == nil) != (self.config == nil) else {
            throw ValidationError("give exactly one of --endpoint and --config")
        }
        if self.config != nil, (self.key == nil) == (self.shard == nil) {
            throw ValidationError("with --config, give exactly one of --key and --shard")
        }
        if let attempts = self.attempts, attempts < 1 {
            throw ValidationError("--attempts must be at least 1")
        }
        if let key = self.serverPublicKey, CurveKey(z85: key) == nil {
            throw ValidationError("--server-public-key is not a 40-character Z85 key")
        }
        if self.clientKeyFile != nil, self.endpoint != nil, self.serverPublicKey == nil {
            throw ValidationError("--client-key-file needs --server-public-key: a client keypair is only used with CURVE")
        }
    }

    /// The keypair from --client-key-file: the secret key read from PREFIX.key, the public key derived.
    private func clientKeyPair() throws -> CurveKeyPair? {
        guard let prefix = self.clientKeyFile else { return nil }
        do {
            let secretKey = try CurveKeyFile.readSecretKey(at: prefix + ".key")
            return try CurveKeyPair(secretKey: secretKey)
        } catch let error as CorsairServerError {
            throw CommandLineFailure.clientKeyFile(prefix: prefix, error)
        } catch {
            throw CommandLineFailure("\(error)", status: CommandLineFailure.unusable)
        }
    }

    func run() async throws {
        // The typed error is the message; library warnings would only repeat it (on stderr).
        LoggingSystem.bootstrapForCommandLine(level: self.verbose ? .warning : .error)
        let body = [Array(self.body.utf8)]
        var engineConfiguration = ClientEngine.Configuration()
        engineConfiguration.curveKeyPair = try self.clientKeyPair()
        let result: Result<Reply, CorsairError>
        var usedCurve = self.serverPublicKey != nil
        if let path = self.config {
            let store: ShardMapStore
            do {
                store = try ShardMapStore(contentsOf: path, logger: Logger(label: "corsair.shards"))
            } catch {
                StandardStreams.error("error: \(error)")
                throw ExitCode(2)
            }
            let client: ShardedClient
            do {
                client = try ShardedClient(store: store, configuration: engineConfiguration)
            } catch {
                StandardStreams.error("error: \(error)")
                throw ExitCode(2)
            }
            let shard = self.key.map { store.current.shard(forKey: $0) } ?? self.shard.flatMap { store.current.shard(id: $0) }
            usedCurve = shard?.serverPublicKey != nil
            if engineConfiguration.curveKeyPair != nil, !store.current.shards.contains(where: { $0.serverPublicKey != nil }) {
                throw CommandLineFailure(
                    "--client-key-file needs CURVE, and no shard in \(path) has a server_public_key",
                    status: CommandLineFailure.unusable
                )
            }
            let options = RequestOptions(
                retry: self.policy(base: RetryPolicy(store.current.config.retry)),
                raw: self.raw,
                onEvent: self.verbose ? Self.trace : nil
            )
            if let key = self.key {
                result = await Self.capture { () async throws(CorsairError) in
                    try await client.request(key: key, body: body, options: options)
                }
            } else {
                let shard = self.shard ?? ""
                result = await Self.capture { () async throws(CorsairError) in
                    try await client.request(shard: shard, body: body, options: options)
                }
            }
            await client.shutdown()
        } else {
            let engine: ClientEngine
            do {
                engineConfiguration.retry = self.policy(base: .default)
                engine = try ClientEngine(configuration: engineConfiguration)
            } catch {
                StandardStreams.error("error: \(error)")
                throw ExitCode(2)
            }
            let target = Endpoint(self.endpoint ?? "", serverPublicKey: self.serverPublicKey.flatMap { CurveKey(z85: $0) })
            let options = RequestOptions(raw: self.raw, onEvent: self.verbose ? Self.trace : nil)
            result = await Self.capture { () async throws(CorsairError) in
                try await engine.request(body, to: target, options: options)
            }
            await engine.shutdown()
        }
        switch result {
        case .success(let reply):
            for frame in reply.body {
                StandardStreams.output(frame)
            }
        case .failure(let error):
            let curveSource: CommandLineFailure.CurveSource = self.config.map { .config($0) } ?? .option
            throw await CommandLineFailure.diagnosedRequest(error, usedCurve: usedCurve, curveSource: curveSource, raw: self.raw)
        }
    }

    /// The command line's retry settings over `base`.
    private func policy(base: RetryPolicy) -> RetryPolicy {
        var policy = base
        if let timeout = self.timeout { policy.attemptTimeout = timeout.duration }
        if let attempts = self.attempts { policy.attempts = attempts }
        if let deadline = self.deadline { policy.deadline = deadline.duration }
        return policy
    }

    /// One stderr line per event, for --verbose.
    private static let trace: @Sendable (RequestEvent) -> Void = { event in
        switch event {
        case .attemptSent(_, let attempt, let endpoint):
            StandardStreams.error("attempt \(attempt) sent to \(endpoint)")
        case .timedOut(_, let attempt, _):
            StandardStreams.error("attempt \(attempt) timed out")
        case .reconnecting(_, let attempt, let endpoint):
            StandardStreams.error("reconnecting to \(endpoint) for attempt \(attempt)")
        case .pushedBack(_, let attempt, let retryAfter):
            StandardStreams.error("attempt \(attempt) pushed back: retry after \(DurationText.format(retryAfter))")
        case .staleReplyDropped(_, let stale):
            StandardStreams.error("dropped a stale reply to request \(stale)")
        case .redirected(let from, let to, let shardID, let epoch):
            StandardStreams.error("moved: \(from) sent the request to shard \(shardID) at \(to) (epoch \(epoch))")
        case .succeeded(_, let attempts, let latency):
            StandardStreams.error("succeeded after \(attempts) attempt(s) in \(Self.milliseconds(latency))")
        case .abandoned:
            break
        }
    }

    /// `12.345ms`: latencies are rarely a whole number of any unit.
    private static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let fraction = String(microseconds % 1000)
        return "\(microseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)ms"
    }

    private static func capture(
        _ body: () async throws(CorsairError) -> Reply
    ) async -> Result<Reply, CorsairError> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }
}
