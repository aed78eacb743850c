import Corsair
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The name of the thread running the caller (Linux): the engine's I/O thread is "corsair-client".
private func currentThreadName() -> String {
    let descriptor = open("/proc/thread-self/comm", O_RDONLY)
    guard descriptor >= 0 else { return "unknown" }
    defer { close(descriptor) }
    var buffer = [UInt8](repeating: 0, count: 64)
    let count = read(descriptor, &buffer, buffer.count)
    return String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
        .trimmingCharacters(in: .newlines)
}

@Suite("Client engine: tasks on the engine's executor")
struct EngineExecutorTests {
    @Test("a task preferring the executor runs on the I/O thread before and after each request")
    func runsOnIOThread() async throws {
        let peer = try TestPeer(behavior: TestPeer.echo)
        let engine = try makeEngine()
        let names = try await withTaskExecutorPreference(engine.executor) {
            var names: Set<String> = [currentThreadName()]
            for index in 0..<50 {
                let reply = try await engine.request(bytes("r\(index)"), to: Endpoint(peer.endpoint))
                #expect(reply.bytes == bytes("r\(index)"))
                names.insert(currentThreadName())
            }
            return names
        }
        #expect(names == ["corsair-client"])
        await engine.shutdown()
    }

    @Test("many tasks on the executor, each in lock-step, all get their own replies")
    func manyTasks() async throws {
        let peer = try TestPeer(behavior: TestPeer.echo)
        let engine = try makeEngine(maxSockets: 16)
        let endpoint = Endpoint(peer.endpoint)
        let succeeded = try await withTaskExecutorPreference(engine.executor) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<64 {
                    group.addTask {
                        var ok = 0
                        for index in 0..<10 {
                            let body = bytes("t\(task)-\(index)")
                            if try await engine.request(body, to: endpoint).bytes == body { ok += 1 }
                        }
                        return ok
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        #expect(succeeded == 640)
        await engine.shutdown()
    }

    @Test("timeouts and retries work for a task on the executor")
    func retriesFromExecutor() async throws {
        let answered = Atomic<Int>(0)
        // The first request goes unanswered; its resend on a new socket is answered.
        let peer = try TestPeer { request in
            answered.wrappingAdd(1, ordering: .relaxed).oldValue == 0 ? .drop : TestPeer.echo(request)
        }
        let engine = try makeEngine(testPolicy(attempts: 3, timeout: .milliseconds(100)))
        let reply = try await withTaskExecutorPreference(engine.executor) {
            try await engine.request(bytes("again"), to: Endpoint(peer.endpoint))
        }
        #expect(reply.bytes == bytes("again"))
        #expect(reply.attempts == 2)
        await engine.shutdown()
    }

    @Test("cancelling a task on the executor ends its request with cancelled")
    func cancellation() async throws {
        let peer = try TestPeer { _ in .drop }
        let engine = try makeEngine(testPolicy(attempts: 1, timeout: .seconds(30), deadline: .seconds(30)))
        let task = Task(executorPreference: engine.executor) {
            try await engine.request(bytes("never"), to: Endpoint(peer.endpoint))
        }
        #expect(await waitUntil { peer.requestCount == 1 })
        task.cancel()
        await #expect {
            _ = try await task.value
        } throws: { error in
            (error as? CorsairError)?.code == .cancelled
        }
        await engine.shutdown()
    }

    @Test("requestBlocking on the executor fails at once instead of deadlocking the engine")
    func blockingCallRefused() async throws {
        let peer = try TestPeer(behavior: TestPeer.echo)
        let engine = try makeEngine()
        let endpoint = Endpoint(peer.endpoint)
        _ = await withTaskExecutorPreference(engine.executor) {
            #expect {
                _ = try engine.requestBlocking([bytes("x")], to: endpoint)
            } throws: { error in
                (error as? CorsairError)?.code == .invalidConfiguration
            }
        }
        // From a thread of the shared pool the same engine still answers.
        #expect(try await engine.request(bytes("ok"), to: endpoint).bytes == bytes("ok"))
        await engine.shutdown()
    }

    @Test("tasks that still prefer a closed engine's executor run on, and their requests fail with engineClosed")
    func afterShutdown() async throws {
        let peer = try TestPeer(behavior: TestPeer.echo)
        let engine = try makeEngine()
        let endpoint = Endpoint(peer.endpoint)
        // A task parked on the executor while the engine closes must not be stranded.
        let task = Task(executorPreference: engine.executor) { () async throws -> Reply in
            _ = try await engine.request(bytes("before"), to: endpoint)
            await engine.shutdown()
            return try await engine.request(bytes("after"), to: endpoint)
        }
        await #expect {
            _ = try await task.value
        } throws: { error in
            (error as? CorsairError)?.code == .engineClosed
        }
    }
}
