import Corsair
import Foundation
import ShardMap
import Synchronization
import Testing

/// ShardedClient on its own, against test peers that record what reaches them: routing by key and
/// by shard id, what the header carries, the map's retry section, and refusals.
@Suite("Sharded client")
struct ShardedClientTests {
    /// The headers one peer received.
    final class Headers: Sendable {
        let list = Mutex<[RequestHeader]>([])
    }

    /// Two peers splitting the slots, a map file naming them, and a client over that file.
    struct Cluster {
        let peers: [TestPeer]
        let seen: [Headers]
        let file: MapFile
        let client: ShardedClient

        init(retry: String = "", answer: Bool = true) throws {
            let seen = [Headers(), Headers()]
            self.peers = try seen.map { record in
                try TestPeer { request in
                    if let header = request.header { record.list.withLock { $0.append(header) } }
                    return answer ? .reply(TestPeer.reply(to: request)) : .drop
                }
            }
            self.seen = seen
            self.file = MapFile()
            try self.file.writeSlots(epoch: 4, [
                (id: "s0", endpoint: self.peers[0].endpoint, slots: ["0-8191"]),
                (id: "s1", endpoint: self.peers[1].endpoint, slots: ["8192-16383"]),
            ], retry: retry)
            self.client = try ShardedClient(store: try self.file.store())
        }

        /// A key the map sends to `shard`.
        func key(for shard: String) -> String {
            let map = self.client.store.current
            return (0..<10_000).lazy.map { "key-\($0)" }.first { map.shard(forKey: $0).id == shard } ?? ""
        }

        func finish() async {
            await self.client.shutdown()
            for peer in self.peers { await peer.stop() }
            self.file.remove()
        }
    }

    @Test("a key goes to the shard owning it, with its key, shard id and the map's epoch in the header")
    func routesByKey() async throws {
        let cluster = try Cluster()
        for (index, shard) in ["s0", "s1"].enumerated() {
            let key = cluster.key(for: shard)
            let reply = try await cluster.client.request(key: key, body: [bytes("GET \(key)")])
            #expect(reply.bytes == bytes("GET \(key)"))
            let header = try #require(cluster.seen[index].list.withLock { $0.last })
            #expect(header.routingKey == bytes(key))
            #expect(header.shardID == shard)
            #expect(header.epoch == 4)
            #expect(cluster.seen[1 - index].list.withLock { $0.allSatisfy { $0.routingKey != bytes(key) } })
        }
        await cluster.finish()
    }

    @Test("a request by shard id reaches that shard, without a routing key")
    func routesByShardID() async throws {
        let cluster = try Cluster()
        _ = try await cluster.client.request(shard: "s1", body: [bytes("PING")])
        let header = try #require(cluster.seen[1].list.withLock { $0.first })
        #expect(header.shardID == "s1")
        #expect(header.routingKey == nil)
        #expect(cluster.seen[0].list.withLock { $0.isEmpty })
        await cluster.finish()
    }

    @Test("a shard the map does not list is refused without sending")
    func unknownShard() async throws {
        let cluster = try Cluster()
        await #expect {
            _ = try await cluster.client.request(shard: "s9", body: [bytes("PING")])
        } throws: { ($0 as? CorsairError)?.code == .invalidEndpoint }
        #expect(cluster.peers.allSatisfy { $0.requestCount == 0 })
        await cluster.finish()
    }

    @Test("the map's retry section sets the attempts, and a request's own policy overrides it")
    func mapRetrySection() async throws {
        let cluster = try Cluster(
            retry: "retry:\n  attempts: 2\n  attempt_timeout: 50ms\n  deadline: 20s\n  backoff: {initial: 1ms, max: 1ms}\n",
            answer: false
        )
        let key = cluster.key(for: "s0")
        await #expect {
            _ = try await cluster.client.request(key: key, body: [bytes("x")])
        } throws: { ($0 as? CorsairError)?.code == .abandoned && ($0 as? CorsairError)?.attempts == 2 }
        #expect(cluster.peers[0].requestCount == 2)
        let own = RequestOptions(retry: testPolicy(attempts: 1, timeout: .milliseconds(50)))
        await #expect {
            _ = try await cluster.client.request(key: key, body: [bytes("x")], options: own)
        } throws: { ($0 as? CorsairError)?.attempts == 1 }
        #expect(cluster.peers[0].requestCount == 3)
        await cluster.finish()
    }
}
