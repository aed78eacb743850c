import Corsair
import Foundation
import Logging
import ShardMap
import Synchronization
import Testing
import ZeroMQ

/// Resharding through real sockets in one process: servers decide ownership by key under their own
/// map, and a `ShardedClient` on an older map follows their moved answers.
@Suite("Resharding: moved, reloads, server map older")
struct ReshardTests {
    static let patient = testPolicy(attempts: 3, timeout: .seconds(30), deadline: .seconds(60))

    /// s0 owns 0-8191 and s1 8192-16383 at epoch 1; at epoch 2 slots 0-99 have moved to s1.
    static func writeScenario(_ file: MapFile, epoch: UInt64, s0: String, s1: String) throws {
        if epoch == 1 {
            try file.writeSlots(epoch: 1, [("s0", s0, ["0-8191"]), ("s1", s1, ["8192-16383"])])
        } else {
            try file.writeSlots(epoch: epoch, [("s0", s0, ["100-8191"]), ("s1", s1, ["0-99", "8192-16383"])])
        }
    }

    /// The scenario's two servers, deciding from a store over the servers' file, and a client store
    /// over a file of its own.
    struct Scenario {
        let s0 = uniqueIPCEndpoint()
        let s1 = uniqueIPCEndpoint()
        let serverFile = MapFile()
        let clientFile = MapFile()
        let serverStore: ShardMapStore
        let clientStore: ShardMapStore
        let servers: ShardServers

        init(serverEpoch: UInt64, clientEpoch: UInt64) throws {
            try ReshardTests.writeScenario(self.serverFile, epoch: serverEpoch, s0: self.s0, s1: self.s1)
            try ReshardTests.writeScenario(self.clientFile, epoch: clientEpoch, s0: self.s0, s1: self.s1)
            let serverStore = try self.serverFile.store()
            self.serverStore = serverStore
            self.servers = try ShardServers([("s0", self.s0), ("s1", self.s1)]) { ShardMapOwnership(store: serverStore, shardID: $0) }
            self.clientStore = try self.clientFile.store()
        }

        func remove() {
            self.serverFile.remove()
            self.clientFile.remove()
        }
    }

    @Test("a stale client's SET k-161 lands on s1, the new owner, and s0 never runs it")
    func staleClientWriteLandsOnNewOwner() async throws {
        let scenario = try Scenario(serverEpoch: 2, clientEpoch: 1)
        defer { scenario.remove() }
        let (servers, clientStore) = (scenario.servers, scenario.clientStore)
        #expect(clientStore.current.shard(forKey: "k-161").id == "s0")
        let client = try ShardedClient(store: clientStore)
        let events = EventLog()
        let reply = try await client.request(
            key: "k-161",
            body: [Array("SET k-161 v".utf8)],
            options: RequestOptions(retry: Self.patient, onEvent: { events.record($0) })
        )
        #expect(reply.bytes == Array("OK".utf8))
        #expect(reply.serverEpoch == 2)
        #expect(events.redirects == 1)
        #expect(servers.stores["s1"]?.execute("GET k-161") == "v")
        #expect(servers.stores["s0"]?.execute("GET k-161") == "")
        #expect(servers.servers["s0"]?.statistics.handlerExecutions == 0)
        #expect(servers.servers["s0"]?.statistics.replies(.moved) == 1)
        await client.shutdown()
        await servers.stop()
    }

    @Test("a burst of 1,000 stale-client requests causes exactly one client reload")
    func burstReloadsOnce() async throws {
        let scenario = try Scenario(serverEpoch: 2, clientEpoch: 1)
        defer { scenario.remove() }
        let (servers, serverStore, clientStore) = (scenario.servers, scenario.serverStore, scenario.clientStore)
        // The client's file catches up after the client loaded it: the first newer epoch it hears of
        // makes it reload, once, however many replies tell it.
        try Self.writeScenario(scenario.clientFile, epoch: 2, s0: scenario.s0, s1: scenario.s1)
        let client = try ShardedClient(store: clientStore)
        let moved = (0..<100_000).lazy.map { "k-\($0)" }.filter { (clientStore.current.slot(forKey: $0) ?? 100) < 100 }
        let keys = Array(moved.prefix(50)) + (0..<950).map { "k-\($0)" }
        let failures = Lines()
        await withTaskGroup(of: Void.self) { group in
            for key in keys {
                group.addTask {
                    do throws(CorsairError) {
                        _ = try await client.request(key: key, body: [Array("INCR \(key)".utf8)], options: RequestOptions(retry: Self.patient))
                    } catch {
                        failures.append("\(key): \(error)")
                    }
                }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
        #expect(await waitUntil { clientStore.current.epoch == 2 })
        #expect(clientStore.fileReloads == 1)
        // Nothing ran where the key does not live under epoch 2.
        let map = serverStore.current
        for key in Set(keys) {
            let owner = map.shard(forKey: key).id
            for (id, store) in servers.stores where id != owner {
                #expect(store.increments(forKey: key) == 0, "\(key) ran on \(id), owned by \(owner)")
            }
        }
        await client.shutdown()
        await servers.stop()
    }

    @Test("a server behind the client's epoch reloads its file once and serves; still behind, it answers server map older")
    func serverBehindReloads() async throws {
        let (s0, s1) = (uniqueIPCEndpoint(), uniqueIPCEndpoint())
        let serverFile = MapFile(), clientFile = MapFile()
        defer { serverFile.remove(); clientFile.remove() }
        try Self.writeScenario(serverFile, epoch: 1, s0: s0, s1: s1)
        let serverStore = try serverFile.store()
        let servers = try ShardServers([("s0", s0), ("s1", s1)]) { ShardMapOwnership(store: serverStore, shardID: $0) }
        // The move is in the servers' file, but no watcher has read it yet; the client has it.
        try Self.writeScenario(serverFile, epoch: 2, s0: s0, s1: s1)
        try Self.writeScenario(clientFile, epoch: 2, s0: s0, s1: s1)
        let client = try ShardedClient(store: try clientFile.store())
        let reply = try await client.request(key: "k-161", body: [Array("SET k-161 v".utf8)], options: RequestOptions(retry: Self.patient))
        #expect(reply.serverEpoch == 2)
        #expect(serverStore.current.epoch == 2)
        #expect(servers.servers["s1"]?.statistics.mapRefreshes == 1)
        #expect(servers.stores["s1"]?.execute("GET k-161") == "v")

        // A client ahead of every file: the server reloads, finds nothing newer, and says so.
        try Self.writeScenario(clientFile, epoch: 3, s0: s0, s1: s1)
        let ahead = try ShardedClient(store: try clientFile.store())
        let quick = testPolicy(attempts: 2, timeout: .seconds(30), deadline: .seconds(60))
        let error = await #expect(throws: CorsairError.self) {
            try await ahead.request(key: "k-161", body: [Array("SET k-161 w".utf8)], options: RequestOptions(retry: quick))
        }
        #expect(error?.code == .serverMapOlder)
        #expect(error?.serverEpoch == 2)
        #expect(servers.stores["s1"]?.execute("GET k-161") == "v")
        await client.shutdown()
        await ahead.shutdown()
        await servers.stop()
    }

    @Test("a jump map gains a fifth shard: a stale client's key for it is moved there, after a reload teaches the client the shard")
    func jumpFifthShard() async throws {
        let endpoints = (0..<5).map { ("j\($0)", uniqueIPCEndpoint()) }
        let serverFile = MapFile(), clientFile = MapFile()
        defer { serverFile.remove(); clientFile.remove() }
        try clientFile.writeJump(epoch: 1, Array(endpoints.prefix(4)))
        try serverFile.writeJump(epoch: 2, endpoints)
        let serverStore = try serverFile.store()
        let servers = try ShardServers(endpoints) { ShardMapOwnership(store: serverStore, shardID: $0) }
        let clientStore = try clientFile.store()
        let key = key(on: "j1", in: clientStore.current, andOn: "j4", in: serverStore.current)
        try clientFile.writeJump(epoch: 2, endpoints)
        let client = try ShardedClient(store: clientStore)
        let reply = try await client.request(key: key, body: [Array("INCR \(key)".utf8)], options: RequestOptions(retry: Self.patient))
        #expect(reply.bytes == Array("1".utf8))
        #expect(servers.stores["j4"]?.increments(forKey: key) == 1)
        #expect(servers.stores["j1"]?.increments(forKey: key) == 0)
        #expect(clientStore.current.shards.count == 5)
        await client.shutdown()
        await servers.stop()
    }

    /// Answers every keyed request with a fixed moved decision.
    struct AlwaysMoved: ShardOwnership {
        let shardID: String
        let endpoint: String
        var epoch: UInt64 { 1 }
        func decide(_ query: OwnershipQuery) -> ShardOwnershipDecision {
            .moved(shardID: self.shardID, endpoint: self.endpoint, epoch: 1)
        }
    }

    @Test("moved answers that cannot be followed fail with a typed error, never a hang")
    func badRedirects() async throws {
        let (a, b) = (uniqueIPCEndpoint(), uniqueIPCEndpoint())
        let clientFile = MapFile()
        defer { clientFile.remove() }
        try clientFile.writeSlots(epoch: 1, [("a", a, ["0-8191"]), ("b", b, ["8192-16383"])])
        let clientStore = try clientFile.store()
        let onA = key(on: "a", in: clientStore.current)

        // a and b each say the other owns everything: a loop.
        let looping = try ShardServers([("a", a), ("b", b)]) { id in
            AlwaysMoved(shardID: id == "a" ? "b" : "a", endpoint: id == "a" ? b : a)
        }
        let client = try ShardedClient(store: clientStore)
        let loop = await #expect(throws: CorsairError.self) {
            try await client.request(key: onA, body: [Array("GET \(onA)".utf8)], options: RequestOptions(retry: Self.patient))
        }
        #expect(loop?.code == .redirectLoop)
        await looping.stop()

        for (shard, endpoint) in [("s9", b), ("b", "not an endpoint")] {
            let servers = try ShardServers([("a", a)]) { _ in AlwaysMoved(shardID: shard, endpoint: endpoint) }
            let error = await #expect(throws: CorsairError.self) {
                try await client.request(key: onA, body: [Array("GET \(onA)".utf8)], options: RequestOptions(retry: Self.patient))
            }
            #expect(error?.code == .invalidRedirect, "\(shard) \(endpoint): \(String(describing: error))")
            await servers.stop()
        }
        await client.shutdown()
    }

    @Test("a sharded server refuses raw requests with one frame, unless configured to allow them")
    func rawRefused() async throws {
        let endpoint = uniqueIPCEndpoint()
        let file = MapFile()
        defer { file.remove() }
        try file.writeSlots(epoch: 1, [("s0", endpoint, ["0-16383"])])
        let store = try file.store()
        for allowed in [false, true] {
            var configuration = serverConfiguration()
            configuration.endpoints = [endpoint]
            configuration.ownership = ShardMapOwnership(store: store, shardID: "s0")
            configuration.allowsRawRequests = allowed
            let handler = KeyValueHandler()
            try await withServer(configuration, handler: handler) { server, endpoint in
                let engine = try patientEngine()
                let reply = try await engine.request(bytes("SET k v"), to: Endpoint(endpoint), options: RequestOptions(raw: true))
                let text = String(decoding: reply.bytes, as: UTF8.self)
                if allowed {
                    #expect(text == "OK")
                    #expect(server.statistics.rawRefusals == 0)
                } else {
                    #expect(text.hasPrefix("ERR raw requests are refused on a sharded server"))
                    #expect(server.statistics.rawRefusals == 1)
                    #expect(handler.execute("GET k") == "")
                }
                await engine.shutdown()
            }
        }
    }
}

@Suite("ShardedClient and map reloads")
struct ShardedClientReloadTests {
    @Test("a change in the map's retry: section applies to the next request after a reload")
    func retrySectionFollowsReloads() async throws {
        // Nothing listens there: each request fails after its policy's attempts.
        let silent = uniqueIPCEndpoint()
        let file = MapFile()
        defer { file.remove() }
        let retry = { (attempts: Int) in
            "retry:\n  attempt_timeout: 20ms\n  attempts: \(attempts)\n  deadline: 10s\n  backoff: {initial: 1ms, max: 1ms}\n"
        }
        try file.writeSlots(epoch: 1, [("s0", silent, ["0-16383"])], retry: retry(1))
        let store = try file.store()
        let client = try ShardedClient(store: store)
        let first = await #expect(throws: CorsairError.self) {
            try await client.request(key: "k", body: [Array("GET k".utf8)])
        }
        #expect(first?.attempts == 1)
        // Same epoch, only the retry section changed: accepted, and the next request uses it.
        try file.writeSlots(epoch: 1, [("s0", silent, ["0-16383"])], retry: retry(3))
        try store.reload()
        let second = await #expect(throws: CorsairError.self) {
            try await client.request(key: "k", body: [Array("GET k".utf8)])
        }
        #expect(second?.attempts == 3)
        await client.shutdown()
    }
}

@Suite("ServerRequest.checkOwnership")
struct CheckOwnershipTests {
    @Test("a handler whose key moves away before its write is fenced: the client is answered moved and follows")
    func fencedWrite() async throws {
        let (s0, s1) = (uniqueIPCEndpoint(), uniqueIPCEndpoint())
        let file = MapFile()
        defer { file.remove() }
        try ReshardTests.writeScenario(file, epoch: 1, s0: s0, s1: s1)
        let before = try file.store().current
        try ReshardTests.writeScenario(file, epoch: 2, s0: s0, s1: s1)
        let after = try file.store().current
        let serverStore = ShardMapStore(map: before, logger: Logger(label: "test"))
        let writes = Tally()
        // s0's handler: the reshard lands between admission and the write.
        var configuration = serverConfiguration()
        configuration.endpoints = [s0]
        configuration.ownership = ShardMapOwnership(store: serverStore, shardID: "s0")
        let fencing = ClosureRequestHandler { request in
            try serverStore.update(to: after)
            try request.checkOwnership()
            writes.increment()
            return ServerReply(text: "written on s0")
        }
        let moving = try CorsairServer(configuration: configuration, handler: fencing)
        let runningS0 = Task { try await moving.run() }
        let others = try ShardServers([("s1", s1)]) { ShardMapOwnership(store: serverStore, shardID: $0) }
        let client = try ShardedClient(store: ShardMapStore(map: before, logger: Logger(label: "test")))
        let reply = try await client.request(key: "k-161", body: [Array("SET k-161 v".utf8)], options: RequestOptions(retry: ReshardTests.patient))
        #expect(reply.bytes == Array("OK".utf8))
        #expect(writes.count == 0)
        #expect(others.stores["s1"]?.execute("GET k-161") == "v")
        #expect(moving.statistics.replies(.moved) == 1)
        await client.shutdown()
        await others.stop()
        runningS0.cancel()
        _ = try? await runningS0.value
    }
}

@Suite("Redirects under CURVE", .enabled(if: ZMQ.has("curve")))
struct CurveRedirectTests {
    @Test("a redirect goes only to a shard whose server key the client's map gives")
    func followsOnlyKnownKeys() async throws {
        let (a, b) = (uniqueIPCEndpoint(), uniqueIPCEndpoint())
        let (keysA, keysB) = (try CurveKeyPair.generate(), try CurveKeyPair.generate())
        let file = MapFile()
        defer { file.remove() }
        func write(bKey: Bool) throws {
            let keyB = bKey ? ", server_public_key: \"\(keysB.publicKey.z85)\"" : ""
            let text = """
                cluster: curve
                epoch: \(bKey ? 2 : 1)
                routing: {strategy: slots, slots: 16384}
                shards:
                  - {id: a, endpoint: "\(a)", slots: ["0-8191"], server_public_key: "\(keysA.publicKey.z85)"}
                  - {id: b, endpoint: "\(b)", slots: ["8192-16383"]\(keyB)}

                """
            try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        }
        try write(bKey: false)
        let store = try file.store()
        let onA = key(on: "a", in: store.current)
        var configurationA = serverConfiguration()
        configurationA.endpoints = [a]
        configurationA.curve = CurveServerSecurity(secretKey: keysA.secretKey)
        configurationA.ownership = ReshardTests.AlwaysMoved(shardID: "b", endpoint: b)
        let serverA = try CorsairServer(configuration: configurationA, handler: KeyValueHandler())
        var configurationB = serverConfiguration()
        configurationB.endpoints = [b]
        configurationB.curve = CurveServerSecurity(secretKey: keysB.secretKey)
        let serverB = try CorsairServer(configuration: configurationB, handler: KeyValueHandler())
        let tasks = [Task { try await serverA.run() }, Task { try await serverB.run() }]
        let client = try ShardedClient(store: store)

        // The map gives no key for b, even after a reload: not followed.
        let refused = await #expect(throws: CorsairError.self) {
            try await client.request(key: onA, body: [Array("SET \(onA) v".utf8)], options: RequestOptions(retry: ReshardTests.patient))
        }
        #expect(refused?.code == .invalidRedirect)
        #expect(refused?.message.contains("CURVE") == true, "\(String(describing: refused))")

        // Once the file gives b's key, the reload the redirect waits for teaches it, and it is followed.
        try write(bKey: true)
        let reply = try await client.request(key: onA, body: [Array("SET \(onA) v".utf8)], options: RequestOptions(retry: ReshardTests.patient))
        #expect(reply.bytes == Array("OK".utf8))
        await client.shutdown()
        for task in tasks {
            task.cancel()
            _ = try? await task.value
        }
    }
}
