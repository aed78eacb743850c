import Corsair
import Testing

@Suite("Client engine: resources")
struct ClientEngineResourceTests {
    @Test("file descriptors return to baseline after 5,000 forced reconnects")
    func descriptorsAfterReconnectStorm() async throws {
        let peer = try TestPeer { _ in .drop }
        let endpoint = Endpoint(peer.endpoint)
        // Warm up: the engine's own thread, context and wake-up descriptors.
        let engine = try makeEngine(testPolicy(attempts: 51, timeout: .milliseconds(1), deadline: nil))
        _ = try? await engine.request(bytes("warm"), to: endpoint, options: .init(retry: testPolicy(attempts: 1, timeout: .milliseconds(1))))
        #expect(await waitUntil { openFileDescriptorCount() > 0 })
        let baseline = openFileDescriptorCount()
        // 100 requests × 51 timed-out attempts: 5,000 times a REQ socket is closed and another opened.
        let attempts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    do {
                        _ = try await engine.request(bytes("x"), to: endpoint)
                        return 0
                    } catch {
                        return error.attempts
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(attempts == 5100)
        // libzmq's reaper closes descriptors asynchronously: poll for the baseline with a deadline.
        let settled = await waitUntil(timeout: .seconds(20)) { openFileDescriptorCount() <= baseline + 4 }
        #expect(settled, "descriptors: baseline \(baseline), now \(openFileDescriptorCount())")
        await engine.shutdown()
    }
}
