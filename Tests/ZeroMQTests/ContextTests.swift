import Dispatch
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tearing down never hangs on unsent messages, and shutdown wakes blocked threads.
@Suite("Context lifetime")
struct ContextTests {
    @Test("releasing a REQ with an unsent request to nobody returns promptly")
    func requestToNobody() throws {
        // A port nobody listens on: bound, read back, then released.
        let endpoint: String
        do {
            let context = try Context()
            let placeholder = try Socket(context, .rep)
            try placeholder.bind("tcp://127.0.0.1:*")
            endpoint = try placeholder.lastEndpoint
        }
        let elapsed = try timeRelease(bound: .seconds(1)) {
            let context = try Context()
            let client = try Socket(context, .req)
            try client.connect(endpoint)
            // Without IMMEDIATE the request waits on the pipe of the pending connection.
            try client.send([1, 2, 3], dontWait: true)
            return [client, context]
        }
        #expect(elapsed != nil, "releasing the socket and context hung")
    }

    @Test("releasing a PUSH with a queued message and a linger returns within the linger")
    func pushWithLinger() throws {
        let linger = Duration.milliseconds(200)
        let elapsed = try timeRelease(bound: .seconds(1)) {
            let context = try Context()
            let push = try Socket(context, .push, linger: linger)
            try push.connect(Transport.ipc.uniqueBindEndpoint())
            try push.send(Array(repeating: 7, count: 4096), dontWait: true)
            return [push, context]
        }
        let time = try #require(elapsed, "releasing the socket and context hung")
        // libzmq keeps the message for the whole linger, then gives up on it.
        #expect(time >= linger - .milliseconds(5))
    }

    @Test("releasing a socket whose linger was turned off returns promptly despite queued messages")
    func lingerTurnedOff() throws {
        let elapsed = try timeRelease(bound: .seconds(1)) {
            let context = try Context()
            let push = try Socket(context, .push, linger: nil)
            guard try push.get(.linger) == nil else { throw TestFailure(description: "linger not infinite") }
            try push.set(.linger, to: .zero)
            try push.connect("tcp://127.0.0.1:1")
            for _ in 0..<10 {
                try push.send([1], dontWait: true)
            }
            return [push, context]
        }
        #expect(elapsed != nil, "releasing the socket and context hung")
    }

    @Test("Context.shutdown makes a blocked receive on another thread fail with terminated")
    func shutdownWakesReceive() throws {
        let context = try Context()
        let started = DispatchSemaphore(value: 0)
        let outcome = Box<String?>(nil)
        let finished = runDetachedAsync {
            do {
                let socket = try Socket(context, .pull)
                try socket.bind("tcp://127.0.0.1:*")
                started.signal()
                _ = try socket.receive()
                outcome.set("received a message")
            } catch let error as ZMQError {
                outcome.set(error.code == .terminated ? "terminated" : "\(error)")
            } catch {
                outcome.set("\(error)")
            }
        }
        #expect(started.wait(timeout: .now() + .seconds(5)) == .success)
        // Give the thread a moment to block; the outcome is the same if it has not yet.
        usleep(20_000)
        context.shutdown()
        #expect(finished.wait(timeout: .now() + .seconds(2)) == .success)
        #expect(outcome.get() == "terminated")

        // Anything else on a shut-down context fails the same way.
        let error = try #require(throws: ZMQError.self) { try Socket(context, .pair) }
        #expect(error.code == .terminated)
    }
}
