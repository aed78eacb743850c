import Dispatch
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Poller")
struct PollerTests {
    /// Each sample must not be early; lateness is judged on the best of a few samples, because
    /// on a shared, loaded machine the scheduler (not the poll) adds most of any one sample's delay.
    @Test("a poll with nothing ready waits what was asked, never less and at most 20 ms more",
          arguments: [1, 10, 50, 120])
    func timeoutAccuracy(milliseconds: Int) throws {
        let context = try Context()
        let socket = try Socket(context, .rep)
        try socket.bind("tcp://127.0.0.1:*")
        let pipe = try Pipe()
        var poller = Poller()
        poller.add(socket, events: .readable)
        poller.add(fileDescriptor: pipe.readEnd, events: .readable)

        let timeout = Duration.milliseconds(milliseconds)
        let clock = ContinuousClock()
        var best = Duration.seconds(3600)
        for _ in 0..<5 {
            let start = clock.now
            let ready = try poller.poll(timeout: timeout)
            let elapsed = clock.now - start
            #expect(ready == 0)
            #expect(elapsed >= timeout, "woke \((timeout - elapsed).milliseconds) ms early")
            #expect(poller.events(at: 0).isEmpty)
            #expect(poller.events(at: 1).isEmpty)
            best = min(best, elapsed)
            if best < timeout + .milliseconds(20) { break }
        }
        #expect(best < timeout + .milliseconds(20), "woke \((best - timeout).milliseconds) ms late at best")
    }

    @Test("a poll is never early, even while peers come and go and wake it part-way")
    func neverEarlyUnderChurn() throws {
        let context = try Context()
        let server = try Socket(context, .router)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try server.lastEndpoint
        let stop = StopFlag()
        // Connections arriving and leaving send commands to the polled socket, which wake
        // zmq_poll before its timeout.
        let churn = runDetachedAsync {
            while !stop.isSet {
                guard let peer = try? Socket(context, .dealer) else { return }
                try? peer.connect(endpoint)
                usleep(200)
                peer.close()
            }
        }
        defer {
            stop.set()
            _ = churn.wait(timeout: .now() + .seconds(2))
        }
        let timeout = Duration.milliseconds(3)
        let clock = ContinuousClock()
        var early: [Duration] = []
        for _ in 0..<150 {
            var poller = Poller()
            poller.add(server, events: .readable)
            let start = clock.now
            let ready = try poller.poll(timeout: timeout)
            let elapsed = clock.now - start
            if ready == 0 && elapsed < timeout {
                early.append(timeout - elapsed)
            }
        }
        #expect(early.isEmpty, "\(early.count) polls woke early, by up to \(early.max() ?? .zero)")
    }

    @Test("a sub-millisecond timeout still waits (rounded up, not down to zero)")
    func subMillisecondTimeout() throws {
        let context = try Context()
        let socket = try Socket(context, .rep)
        try socket.bind("tcp://127.0.0.1:*")
        var poller = Poller()
        poller.add(socket, events: .readable)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try poller.poll(timeout: .microseconds(300)) == 0)
        #expect(clock.now - start >= .microseconds(300))
    }

    @Test("a poll with .zero only looks")
    func zeroTimeout() throws {
        let context = try Context()
        let server = try Socket(context, .pair)
        let endpoint = try bindFresh(server, .inproc)
        let client = try Socket(context, .pair)
        try client.connect(endpoint)
        var poller = Poller()
        poller.add(server, events: .readable)

        let clock = ContinuousClock()
        let start = clock.now
        #expect(try poller.poll(timeout: .zero) == 0)
        #expect(clock.now - start < .milliseconds(20))

        try client.send([42])
        let ready = try eventually(timeout: .seconds(5)) { try poller.poll(timeout: .zero) == 1 }
        #expect(ready)
        #expect(poller.events(at: 0) == .readable)
        #expect(try server.receive(dontWait: true).bytes == [42])
    }

    @Test("a poll covers plain file descriptors and sockets together")
    func pipeAndSocket() throws {
        let context = try Context()
        let server = try Socket(context, .pair)
        let endpoint = try bindFresh(server, .tcp)
        let client = try Socket(context, .pair)
        try client.connect(endpoint)
        let pipe = try Pipe()

        var poller = Poller()
        let socketIndex = poller.add(server, events: .readable)
        let pipeIndex = poller.add(fileDescriptor: pipe.readEnd, events: .readable)
        #expect(poller.count == 2)

        // Only the pipe.
        pipe.put(7)
        #expect(try poller.poll(timeout: .seconds(5)) == 1)
        #expect(poller.events(at: pipeIndex) == .readable)
        #expect(poller.events(at: socketIndex).isEmpty)
        #expect(pipe.take() == 7)

        // Only the socket.
        try client.send([1, 2, 3])
        #expect(try poller.poll(timeout: .seconds(5)) == 1)
        #expect(poller.events(at: socketIndex) == .readable)
        #expect(poller.events(at: pipeIndex).isEmpty)

        // Both; a nil timeout returns at once when something is ready.
        pipe.put(8)
        #expect(try poller.poll(timeout: nil) == 2)
        #expect(poller.events(at: socketIndex) == .readable)
        #expect(poller.events(at: pipeIndex) == .readable)
        #expect(try server.receive(dontWait: true).bytes == [1, 2, 3])
        #expect(pipe.take() == 8)

        // A writable socket reports .writable when asked for it.
        poller.removeAll()
        #expect(poller.count == 0)
        let writable = poller.add(client, events: [.readable, .writable])
        #expect(try poller.poll(timeout: .seconds(5)) == 1)
        #expect(poller.events(at: writable) == .writable)
    }

    @Test("the socket's events property reports readiness without waiting")
    func socketEvents() throws {
        let context = try Context()
        let server = try Socket(context, .pair)
        let endpoint = try bindFresh(server, .inproc)
        let client = try Socket(context, .pair)
        try client.connect(endpoint)
        #expect(!(try server.events.contains(.readable)))
        try client.send([5])
        let readable = try eventually(timeout: .seconds(5)) { try server.events.contains(.readable) }
        #expect(readable)
    }

    @Test("signal descriptors in a descriptor-only poller wake it for each request of a lock-step exchange")
    func signalDescriptors() throws {
        let context = try Context()
        let server = try Socket(context, .rep)
        let endpoint = try bindFresh(server, .tcp)
        let client = try Socket(context, .req)
        try client.connect(endpoint)
        var poller = Poller()
        poller.add(fileDescriptor: try server.signalDescriptor, events: .readable)
        poller.add(fileDescriptor: try client.signalDescriptor, events: .readable)

        // A poll that times out while a message is on its way means a signal was missed; the
        // timeout is generous so that only a missed signal, not a slow machine, reaches it.
        var missedSignals = 0
        /// Waits as an edge-triggered loop must: read the events first, poll only when not ready.
        /// Both sockets' events are read before each wait, as a loop over both must: the other
        /// socket's descriptor would otherwise stay signalled and wake the poll at once.
        func waitReadable(_ socket: Socket, other: Socket) throws -> Bool {
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            while ContinuousClock.now < deadline {
                _ = try other.events
                if try socket.events.contains(.readable) { return true }
                if try poller.poll(timeout: .seconds(2)) == 0 {
                    missedSignals += 1
                }
            }
            return try socket.events.contains(.readable)
        }
        for round in 0..<50 {
            try client.send([UInt8(round)])
            #expect(try waitReadable(server, other: client))
            #expect(try server.receiveMultipart(dontWait: true) == [[UInt8(round)]])
            try server.send([UInt8(round), 1])
            #expect(try waitReadable(client, other: server))
            #expect(try client.receiveMultipart(dontWait: true) == [[UInt8(round), 1]])
        }
        #expect(missedSignals == 0)
        // Nothing more is coming: the descriptors stay quiet once the events have been read.
        #expect(!(try client.events.contains(.readable)))
        #expect(!(try server.events.contains(.readable)))
        #expect(try poller.poll(timeout: .milliseconds(20)) == 0)
    }

    @Test("polling a closed socket fails with notASocket instead of polling another descriptor")
    func closedSocket() throws {
        let context = try Context()
        let socket = try Socket(context, .pair)
        var poller = Poller()
        poller.add(socket, events: .readable)
        socket.close()
        let error = try #require(throws: ZMQError.self) { try poller.poll(timeout: .milliseconds(10)) }
        #expect(error.code == .notASocket)

        var late = Poller()
        late.add(socket, events: .readable)
        let lateError = try #require(throws: ZMQError.self) { try late.poll(timeout: .zero) }
        #expect(lateError.code == .notASocket)
    }
}
