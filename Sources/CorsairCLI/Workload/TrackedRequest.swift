import Corsair
import ShardMap

/// One keyed request through a ``ShardedClient``, with its events watched and a watchdog over it.
enum TrackedRequest {
    /// How a request ended.
    enum Ending: Sendable {
        /// A reply.
        case reply(Reply)
        /// A typed error.
        case error(CorsairError)
        /// Neither before the watchdog fired: the request is lost.
        case noAnswer
    }

    /// What the books need about one request.
    struct Record: Sendable {
        var key: String
        var shardID: String
        var ending: Ending
        var latency: Duration
        var probe: RequestProbe.Counts
    }

    /// Sends `body` to `key`'s shard and waits for its ending, at most `watchdog`.
    ///
    /// The watchdog is a safety net, not a timeout policy: the retry policy's deadline ends every
    /// request well before it, so it fires only when something is broken.
    static func send(
        _ body: [[UInt8]],
        key: String,
        through client: ShardedClient,
        watchdog: Duration
    ) async -> Record {
        let shardID = client.store.current.shard(forKey: key).id
        let probe = RequestProbe()
        let options = RequestOptions(onEvent: { probe.observe($0) })
        let start = ContinuousClock.now
        let ending = await withTaskGroup(of: Ending?.self) { group -> Ending in
            group.addTask {
                do throws(CorsairError) {
                    return .reply(try await client.request(key: key, body: body, options: options))
                } catch {
                    return .error(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: watchdog)
                return Task.isCancelled ? nil : .noAnswer
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .noAnswer
        }
        return Record(key: key, shardID: shardID, ending: ending, latency: start.duration(to: .now), probe: probe.counts)
    }
}
