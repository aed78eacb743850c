import Corsair
import Foundation
import Testing

@Suite("Client engine: resources")
struct ClientEngineResourceTests {
    /// Runs in a child process of its own (an exit test), so that other tests running in parallel
    /// cannot move this process's descriptor count.
    @Test("file descriptors return to baseline after 5,000 forced reconnects")
    func descriptorsAfterReconnectStorm() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            let peer = try TestPeer { _ in .drop }
            let endpoint = Endpoint(peer.endpoint)
            let engine = try makeEngine(testPolicy(attempts: 51, timeout: .milliseconds(1), deadline: nil))
            // Warm up the engine's thread, context and wake-up so they count in the baseline.
            _ = try? await engine.request(bytes("warm"), to: endpoint, options: .init(retry: testPolicy(attempts: 1, timeout: .milliseconds(1))))
            let baseline = openFileDescriptorCount()
            // 100 requests × 51 timed-out attempts: 5,000 times a REQ socket is closed and another opened.
            let attempts = await withTaskGroup(of: Int.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        do {
                            _ = try await engine.request(bytes("x"), to: endpoint)
                            return 0
                        } catch let error as CorsairError {
                            return error.code == .abandoned ? error.attempts : 0
                        } catch {
                            return 0
                        }
                    }
                }
                return await group.reduce(0, +)
            }
            guard attempts == 5100 else {
                print("expected 5100 attempts, made \(attempts)")
                exit(1)
            }
            // libzmq's reaper closes descriptors asynchronously: poll for the baseline with a deadline.
            let settled = await waitUntil(timeout: .seconds(20)) { openFileDescriptorCount() <= baseline }
            guard settled else {
                let detail = "descriptors: baseline \(baseline), now \(openFileDescriptorCount())"
                print(detail)
                exit(1)
            }
            await engine.shutdown()
        }
        if let output = result?.standardOutputContent, !output.isEmpty {
            print(String(decoding: output, as: UTF8.self))
        }
    }
}
