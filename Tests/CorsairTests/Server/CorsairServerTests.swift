import Corsair
import Logging
import ShardMap
import Foundation
import Synchronization
import Testing
import ZeroMQ

@Suite("Server")
struct CorsairServerTests {
    @Test("a client engine's request reaches the handler with its header and gets the reply")
    func echoThroughEngine() async throws {
        let seen = Mutex<ServerRequest?>(nil)
        let handler = ClosureRequestHandler { request in
            seen.withLock { $0 = request }
            return ServerReply(request.body)
        }
        try await withServer(handler: handler) { _, endpoint in
            let engine = try patientEngine()
            let body = [bytes("a"), [], bytes("ccc")]
            let reply = try await engine.request(body, to: Endpoint(endpoint), options: .init(shardID: "s1", epoch: 4))
            #expect(reply.body == body)
            let request = try #require(seen.withLock { $0 })
            #expect(request.clientID == engine.clientID)
            #expect(request.requestID == reply.requestID)
            #expect(request.attempt == 1)
            #expect(request.shardID == "s1")
            #expect(request.epoch == 4)
            #expect(!request.isRaw)
            #expect(request.deadline != nil)
            await engine.shutdown()
        }
    }

    @Test("64 concurrent clients fan in and each gets its own replies")
    func fanIn() async throws {
        let running = Tally()
        let peak = Atomic<Int>(0)
        let handler = ClosureRequestHandler { request in
            let now = running.increment()
            peak.max(now, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(2))
            running.decrement()
            // Echo the body and name the client, so a crossed reply would show.
            return ServerReply(request.body + [request.clientID?.bytes ?? []])
        }
        try await withServer(handler: handler) { server, endpoint in
            let engines = try (0..<64).map { _ in try makeEngine(testPolicy(attempts: 3, timeout: .seconds(5))) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, engine) in engines.enumerated() {
                    group.addTask {
                        for sequence in 0..<10 {
                            let body = bytes("client \(index) request \(sequence)")
                            let reply = try await engine.request(body, to: Endpoint(endpoint))
                            #expect(reply.body == [body, engine.clientID.bytes])
                        }
                    }
                }
                try await group.waitForAll()
            }
            for engine in engines { await engine.shutdown() }
            #expect(server.statistics.replies(.ok) == 640)
            #expect(server.statistics.handlerExecutions == 640)
            let concurrent = peak.load(ordering: .relaxed)
            #expect(concurrent > 1, "handlers ran one at a time")
        }
    }

    @Test("a plain REQ client without the header is served in raw mode")
    func rawMode() async throws {
        let raw = Atomic<Bool>(false)
        let handler = ClosureRequestHandler { request in
            raw.store(request.isRaw && request.clientID == nil && request.requestID == nil, ordering: .relaxed)
            return ServerReply(request.body.reversed())
        }
        try await withServer(handler: handler) { server, endpoint in
            let reply = try await onOwnThread { () -> [[UInt8]]? in
                let client = try RawSocket(.req, connectTo: endpoint)
                try client.send([bytes("one"), bytes("two")])
                return try client.receive()
            }
            #expect(reply == [bytes("two"), bytes("one")])
            let sawRaw = raw.load(ordering: .relaxed)
            #expect(sawRaw)
            #expect(server.statistics.rawRequests == 1)

            // The engine's raw mode is a plain REQ client too.
            let engine = try patientEngine()
            let engineReply = try await engine.request([bytes("x"), bytes("y")], to: Endpoint(endpoint), options: .init(raw: true))
            #expect(engineReply.body == [bytes("y"), bytes("x")])
            await engine.shutdown()
        }
    }

    @Test("a raw request whose handler fails or answers nothing still gets a frame")
    func rawErrors() async throws {
        let handler = ClosureRequestHandler { request in
            if request.bytes == bytes("fail") { throw HandlerError("no luck") }
            return .empty
        }
        try await withServer(handler: handler) { _, endpoint in
            let replies = try await onOwnThread { () -> [[[UInt8]]?] in
                let client = try RawSocket(.req, connectTo: endpoint)
                try client.send([bytes("fail")])
                let first = try client.receive()
                try client.send([bytes("empty")])
                return [first, try client.receive()]
            }
            #expect(replies == [[bytes("ERR no luck")], [[]]])
        }
    }

    @Test("only an error marked for the client travels as text; any other is answered with a generic detail")
    func handlerError() async throws {
        struct Boom: Error, CustomStringConvertible {
            var description: String { "boom: password=hunter2" }
        }
        struct Closed: ClientVisibleError {
            var clientMessage: String { "account 8 is closed" }
        }
        let handler = ClosureRequestHandler { request in
            if request.bytes == bytes("typed") { throw HandlerError("account 7 is closed") }
            if request.bytes == bytes("marked") { throw Closed() }
            throw Boom()
        }
        let log = LogCapture()
        try await withServer(serverConfiguration { $0.logger = log.logger }, handler: handler) { server, endpoint in
            let engine = try patientEngine()
            let cases = [("typed", "account 7 is closed"), ("marked", "account 8 is closed"), ("other", CorsairServer.handlerFailedDetail)]
            for (body, message) in cases {
                await #expect {
                    _ = try await engine.request(bytes(body), to: Endpoint(endpoint))
                } throws: { error in
                    guard let error = error as? CorsairError else { return false }
                    return error.code == .handlerError && error.message == message
                }
            }
            #expect(server.statistics.replies(.handlerError) == 3)
            // The hidden error stays on the server, logged once with the request it failed.
            let logged = log.records(startingWith: "handler failed")
            #expect(logged.count == 1)
            #expect(logged.first?.level == .error)
            #expect(logged.first?.metadata["error"]?.contains("hunter2") == true)
            #expect(logged.first.flatMap { $0.metadata["request-id"] }.flatMap { UInt64($0) } != nil)
            #expect(logged.first?.metadata["client-id"] == "\(engine.clientID)")
            await engine.shutdown()
        }
    }

    @Test("ownership by key: the owner runs it, another shard's key is moved, an unknown shard is wrong shard")
    func ownershipByKey() async throws {
        let runs = Tally()
        let map = try ShardMap(ClusterConfig(
            cluster: "t",
            epoch: 9,
            routing: .slots(count: 2),
            shards: [ShardInfo(id: "mine", endpoint: "tcp://127.0.0.1:1", slots: [0...0]), ShardInfo(id: "theirs", endpoint: "tcp://10.1.2.3:5555", slots: [1...1])]
        ))
        let mineKey = (0..<1000).map { "k\($0)" }.first { map.shard(forKey: $0).id == "mine" } ?? ""
        let theirKey = (0..<1000).map { "k\($0)" }.first { map.shard(forKey: $0).id == "theirs" } ?? ""
        let configuration = serverConfiguration {
            $0.ownership = ShardMapOwnership(store: ShardMapStore(map: map, logger: Logger(label: "test")), shardID: "mine")
        }
        let handler = ClosureRequestHandler { request in
            runs.increment()
            return ServerReply(request.body)
        }
        try await withServer(configuration, handler: handler) { server, endpoint in
            let engine = try patientEngine()
            let owned = try await engine.request(bytes("x"), to: Endpoint(endpoint), options: .init(shardID: "theirs", routingKey: mineKey, epoch: 9))
            #expect(owned.serverEpoch == 9)
            let unsharded = try await engine.request(bytes("x"), to: Endpoint(endpoint))
            #expect(unsharded.serverEpoch == 9)
            // The label says "mine", the key says otherwise: the key wins.
            await #expect {
                _ = try await engine.request(bytes("x"), to: Endpoint(endpoint), options: .init(shardID: "mine", routingKey: theirKey, epoch: 8))
            } throws: { error in
                guard let error = error as? CorsairError else { return false }
                return error.code == .moved && error.ownerShardID == "theirs" && error.ownerEndpoint == "tcp://10.1.2.3:5555" && error.serverEpoch == 9
            }
            await #expect {
                _ = try await engine.request(bytes("x"), to: Endpoint(endpoint), options: .init(shardID: "unknown"))
            } throws: { error in
                (error as? CorsairError)?.code == .wrongShard && (error as? CorsairError)?.ownerEndpoint == nil
            }
            #expect(runs.count == 2)
            #expect(server.statistics.replies(.moved) == 1)
            #expect(server.statistics.replies(.wrongShard) == 1)
            await engine.shutdown()
        }
    }

    @Test("every endpoint is bound, wildcard ports resolved")
    func severalEndpoints() async throws {
        let ipc = uniqueIPCEndpoint()
        let configuration = serverConfiguration { $0.endpoints = ["tcp://127.0.0.1:*", ipc] }
        try await withServer(configuration, handler: EchoHandler()) { server, _ in
            let endpoints = try await server.boundEndpoints
            #expect(endpoints.count == 2)
            #expect(endpoints[0].hasPrefix("tcp://127.0.0.1:"))
            #expect(!endpoints[0].hasSuffix(":*"))
            #expect(endpoints[1] == ipc)
            let engine = try patientEngine()
            for endpoint in endpoints {
                let reply = try await engine.request(bytes(endpoint), to: Endpoint(endpoint))
                #expect(reply.bytes == bytes(endpoint))
            }
            await engine.shutdown()
        }
    }

    @Test("a taken port fails when the server runs, as a typed error naming the endpoint; making one opens nothing")
    func addressInUse() async throws {
        try await withServer(handler: EchoHandler()) { _, endpoint in
            let second = try CorsairServer(configuration: serverConfiguration { $0.endpoints = [endpoint] }, handler: EchoHandler())
            let waiter = Task { try await second.boundEndpoints }
            await #expect {
                try await second.run()
            } throws: { error in
                guard let error = error as? CorsairServerError else { return false }
                return error.code == .addressInUse && error.endpoint == endpoint && "\(error)".contains(endpoint)
            }
            // Whoever waits for the endpoints learns the same failure.
            #expect(serverErrorCode(await waiter.result) == .addressInUse)
        }
        let nonsense = try CorsairServer(configuration: serverConfiguration { $0.endpoints = ["nonsense://x"] }, handler: EchoHandler())
        await #expect {
            try await nonsense.run()
        } throws: { error in
            (error as? CorsairServerError)?.code == .bindFailed
        }
        #expect {
            _ = try CorsairServer(configuration: serverConfiguration { $0.maxInFlight = 0 }, handler: EchoHandler())
        } throws: { error in
            (error as? CorsairServerError)?.code == .invalidConfiguration
        }
    }

    @Test("boundEndpoints waits for run() to bind; a cancelled wait throws notBound")
    func boundEndpointsWaits() async throws {
        let server = try CorsairServer(configuration: serverConfiguration(), handler: EchoHandler())
        // Asked before run() starts: answered once it has bound.
        let early = Task { try await server.boundEndpoints }
        let cancelled = Task { try await server.boundEndpoints }
        cancelled.cancel()
        #expect(serverErrorCode(await cancelled.result) == .notBound)
        try await withRunning(server) { endpoint in
            let answered = try await early.value
            #expect(answered == [endpoint])
            #expect(endpoint.hasPrefix("tcp://127.0.0.1:") && !endpoint.hasSuffix(":*"))
        }
        // After run() returned, the endpoints are still known.
        #expect(try await server.boundEndpoints.count == 1)
    }

    @Test("a server runs once")
    func runsOnce() async throws {
        let server = try CorsairServer(configuration: serverConfiguration(), handler: EchoHandler())
        try await withRunning(server) { endpoint in
            // Once a request is answered, the first run() is under way.
            let engine = try patientEngine()
            _ = try await engine.request(bytes("up?"), to: Endpoint(endpoint))
            await engine.shutdown()
            await #expect {
                try await server.run()
            } throws: { error in
                (error as? CorsairServerError)?.code == .alreadyStarted
            }
        }
        await #expect {
            try await server.run()
        } throws: { error in
            (error as? CorsairServerError)?.code == .alreadyStarted
        }
    }
}

/// The code of the server error a task failed with; `nil` when it succeeded or failed otherwise.
func serverErrorCode<T>(_ result: Result<T, any Error>) -> CorsairServerError.Code? {
    guard case .failure(let error) = result else { return nil }
    return (error as? CorsairServerError)?.code
}
