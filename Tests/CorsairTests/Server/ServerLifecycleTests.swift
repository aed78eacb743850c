import Corsair
import Foundation
import Logging
import ServiceLifecycle
import Testing
import ZeroMQ

@Suite("Server lifecycle")
struct ServerLifecycleTests {
    @Test("graceful shutdown drains in-flight requests, sends their replies and returns normally")
    func gracefulDrain() async throws {
        let started = Tally()
        let gate = Gate()
        let handler = ClosureRequestHandler { request in
            started.increment()
            await gate.wait()
            return ServerReply(request.body)
        }
        let log = LogCapture()
        let server = try CorsairServer(configuration: serverConfiguration { $0.logger = log.logger }, handler: handler)
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        let engine = try makeEngine(testPolicy(attempts: 1, timeout: .seconds(10)))
        let endpoint = try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let endpoint = try await server.boundEndpoints[0]
            let replies = Task {
                try await withThrowingTaskGroup(of: [UInt8].self) { requests in
                    for index in 0..<5 {
                        requests.addTask { try await engine.request(bytes("r\(index)"), to: Endpoint(endpoint)).bytes }
                    }
                    return try await requests.reduce(into: Set<[UInt8]>()) { $0.insert($1) }
                }
            }
            #expect(await waitUntil { started.count == 5 })
            await group.triggerGracefulShutdown()
            // Draining: the handlers still hold their requests, and the server waits for them.
            try await Task.sleep(for: .milliseconds(50))
            gate.open()
            let answered = try await replies.value
            #expect(answered == Set((0..<5).map { bytes("r\($0)") }))
            // group.run() returned without throwing: what `corsair serve` turns into exit status 0.
            try await tasks.waitForAll()
            return endpoint
        }
        #expect(server.statistics.replies(.ok) == 5)
        #expect(server.statistics.inFlight == 0)
        // Durations in logs read as written in a config file.
        let draining = log.records(startingWith: "stopping: no new requests")
        #expect(draining.first?.metadata["drain-timeout"] == "5s")
        #expect(draining.first?.metadata["in-flight"] == "5")
        // The port was released on the way out.
        let again = try CorsairServer(configuration: serverConfiguration { $0.endpoints = [endpoint] }, handler: EchoHandler())
        try await withRunning(again) { bound in
            #expect(bound == endpoint)
        }
        await engine.shutdown()
    }

    @Test("requests that arrive while draining are not taken")
    func noNewWorkWhileDraining() async throws {
        let gate = Gate()
        let runs = Tally()
        let handler = ClosureRequestHandler { request in
            runs.increment()
            await gate.wait()
            return ServerReply(request.body)
        }
        let server = try CorsairServer(configuration: serverConfiguration(), handler: handler)
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        let engine = try makeEngine(testPolicy(attempts: 1, timeout: .seconds(10)))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let endpoint = try await server.boundEndpoints[0]
            async let first = engine.request(bytes("first"), to: Endpoint(endpoint))
            #expect(await waitUntil { runs.count == 1 })
            #expect(server.statistics.isServing)
            await group.triggerGracefulShutdown()
            #expect(await waitUntil { !server.statistics.isServing })
            await #expect(throws: CorsairError.self) {
                let quick = RequestOptions(retry: testPolicy(attempts: 1, timeout: .milliseconds(300)))
                _ = try await engine.request(bytes("late"), to: Endpoint(endpoint), options: quick)
            }
            gate.open()
            let firstReply = try await first
            #expect(firstReply.bytes == bytes("first"))
            try await tasks.waitForAll()
        }
        #expect(runs.count == 1)
        await engine.shutdown()
    }

    @Test("handlers still running at the drain timeout are cancelled and awaited before run() returns")
    func drainTimeout() async throws {
        let cancelled = Tally()
        let started = Tally()
        let handler = ClosureRequestHandler { _ in
            started.increment()
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(5))
            }
            // Cleanup that outlasts the cancellation, as closing a database handle might: run()
            // must not return before it ends.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { continuation.resume() }
            }
            cancelled.increment()
            throw CancellationError()
        }
        let server = try CorsairServer(
            configuration: serverConfiguration { $0.drainTimeout = .milliseconds(200) },
            handler: handler
        )
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        let engine = try makeEngine(testPolicy(attempts: 1, timeout: .seconds(10)))
        let clock = ContinuousClock()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let endpoint = try await server.boundEndpoints[0]
            let stuck = Task { try await engine.request(bytes("stuck"), to: Endpoint(endpoint)) }
            #expect(await waitUntil { started.count == 1 })
            let shutdownStart = clock.now
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            let took = shutdownStart.duration(to: clock.now)
            #expect(took >= .milliseconds(150))
            // The handler never ends unless cancelled, so a drain that ignored its timeout would not
            // end at all: the bound only catches that, and leaves a loaded machine its seconds.
            #expect(took < .seconds(30))
            // Cancelled and awaited: its cleanup ended before the group's run() returned.
            #expect(cancelled.count == 1)
            stuck.cancel()
            _ = await stuck.result
        }
        await engine.shutdown()
    }

    @Test("cancelling run() stops the server at once: running handlers are cancelled and awaited")
    func cancellation() async throws {
        let cancelled = Tally()
        let started = Tally()
        let server = try CorsairServer(configuration: serverConfiguration()) { request in
            started.increment()
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(5))
            }
            cancelled.increment()
            return ServerReply(request.body)
        }
        let runner = Task { try await server.run() }
        let engine = try makeEngine(testPolicy(attempts: 1, timeout: .seconds(10)))
        let endpoint = try await server.boundEndpoints[0]
        let pending = Task { try await engine.request(bytes("x"), to: Endpoint(endpoint)) }
        #expect(await waitUntil { started.count == 1 })
        runner.cancel()
        try await runner.value
        // The handler saw the cancellation and returned before run() did.
        #expect(cancelled.count == 1)
        pending.cancel()
        _ = await pending.result
        await engine.shutdown()
    }
}
