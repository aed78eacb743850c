import Dispatch
import Testing
import ZeroMQ

@Suite("Socket monitor")
struct MonitorTests {
    @Test("the monitor reports connect, handshake and disconnect")
    func connectAndDisconnect() throws {
        let context = try Context()
        let server = try Socket(context, .router)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try server.lastEndpoint
        let client = try Socket(context, .dealer)
        let monitor = try SocketMonitor(watching: client)
        try client.connect(endpoint)

        let connecting = try collectEvents(monitor, timeout: .seconds(5)) { events in
            events.contains(.connected(endpoint: endpoint)) && events.contains(.handshakeSucceeded(endpoint: endpoint))
        }
        #expect(connecting.contains(.connected(endpoint: endpoint)), "\(connecting)")
        #expect(connecting.contains(.handshakeSucceeded(endpoint: endpoint)), "\(connecting)")
        #expect(!connecting.contains { $0.isHandshakeFailure })

        server.close()
        let closing = try collectEvents(monitor, timeout: .seconds(5)) { events in
            events.contains(.disconnected(endpoint: endpoint))
        }
        #expect(closing.contains(.disconnected(endpoint: endpoint)), "\(closing)")
        withExtendedLifetime(client) {}
    }

    @Test("the server side sees listening, accepted and the peer's disconnect")
    func serverSide() throws {
        let context = try Context()
        let server = try Socket(context, .router)
        let monitor = try SocketMonitor(watching: server)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try server.lastEndpoint
        let client = try Socket(context, .dealer)
        try client.connect(endpoint)

        let events = try collectEvents(monitor, timeout: .seconds(5)) { events in
            events.contains(.handshakeSucceeded(endpoint: endpoint))
        }
        #expect(events.first == .listening(endpoint: endpoint), "\(events)")
        #expect(events.contains(.accepted(endpoint: endpoint)), "\(events)")
        #expect(events.contains(.handshakeSucceeded(endpoint: endpoint)), "\(events)")

        client.close()
        let closing = try collectEvents(monitor, timeout: .seconds(5)) { events in
            events.contains(.disconnected(endpoint: endpoint))
        }
        #expect(closing.contains(.disconnected(endpoint: endpoint)), "\(closing)")
    }

    @Test("a failing connect is retried and reported with its interval")
    func connectRetried() throws {
        let context = try Context()
        // A port nobody listens on.
        let endpoint: String
        do {
            let placeholder = try Socket(context, .rep)
            try placeholder.bind("tcp://127.0.0.1:*")
            endpoint = try placeholder.lastEndpoint
        }
        let client = try Socket(context, .dealer)
        try client.set(.reconnectInterval, to: .milliseconds(20))
        let monitor = try SocketMonitor(watching: client)
        try client.connect(endpoint)
        let events = try collectEvents(monitor, timeout: .seconds(5)) { events in
            events.contains { if case .connectRetried = $0 { true } else { false } }
        }
        let retried = events.first { if case .connectRetried = $0 { true } else { false } }
        guard case .connectRetried(let retriedEndpoint, let interval) = retried else {
            Issue.record("no connectRetried in \(events)")
            return
        }
        #expect(retriedEndpoint == endpoint)
        #expect(interval >= .milliseconds(20))
        withExtendedLifetime(client) {}
    }

    @Test("drain returns what is ready without waiting")
    func drain() throws {
        let context = try Context()
        let server = try Socket(context, .router)
        let monitor = try SocketMonitor(watching: server)
        #expect(try monitor.drain().isEmpty)
        #expect(try monitor.next(timeout: .zero) == nil)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try server.lastEndpoint
        var events: [MonitorEvent] = []
        let got = try eventually(timeout: .seconds(5)) {
            events += try monitor.drain()
            return !events.isEmpty
        }
        #expect(got)
        #expect(events == [.listening(endpoint: endpoint)])
        monitor.close()
        #expect(monitor.socket.isClosed)
    }

    @Test("a peer sending more than MAXMSGSIZE is disconnected and nothing is delivered")
    func maximumMessageSize() throws {
        let context = try Context()
        let server = try Socket(context, .pull)
        try server.set(.maximumMessageSize, to: 1024)
        #expect(try server.get(.maximumMessageSize) == 1024)
        let monitor = try SocketMonitor(watching: server)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try server.lastEndpoint
        let client = try Socket(context, .push)
        try client.set(.reconnectInterval, to: .milliseconds(10))
        try client.connect(endpoint)

        try client.send(Array(repeating: 1, count: 2048))
        let events = try collectEvents(monitor, timeout: .seconds(5)) { events in
            events.contains(.disconnected(endpoint: endpoint))
        }
        #expect(events.contains(.disconnected(endpoint: endpoint)), "\(events)")
        #expect(try receiveMultipart(server, timeout: .milliseconds(100)) == nil)

        // The client reconnects, and a message within the limit goes through; the large one
        // never arrives, before or after it.
        let small: [UInt8] = Array(repeating: 2, count: 1024)
        try client.send(small)
        #expect(try receiveMultipart(server, timeout: .seconds(5)) == [small])
        #expect(try receiveMultipart(server, timeout: .milliseconds(50)) == nil)
    }

    @Test("releasing a monitor while its socket lives does not stall the context")
    func releaseMonitorEarly() throws {
        let context = try Context()
        let server = try Socket(context, .router)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try server.lastEndpoint
        let client = try Socket(context, .dealer)
        try client.set(.routingID, to: [1])
        do {
            let monitor = try SocketMonitor(watching: client)
            monitor.close()
        }
        do {
            _ = try SocketMonitor(watching: server)
        }
        // Connecting makes events on both sockets, on the context's I/O thread; with nobody to
        // take them, they must be dropped rather than block that thread.
        try client.connect(endpoint)
        try client.send([42])
        #expect(try receiveMultipart(server, timeout: .seconds(5)) == [[1], [42]])
        try server.send(multipart: [[1], [43]])
        #expect(try receiveMultipart(client, timeout: .seconds(5)) == [[43]])
    }

    @Test("a monitor nobody reads never blocks the watched socket or the context")
    func unreadMonitor() throws {
        let context = try Context()
        let failure = Box<String?>(nil)
        // Two thousand events fill libzmq's default monitor pipe (1000 + 1000 messages); binding
        // and unbinding make two events each, on the calling thread.
        let finished = runDetachedAsync {
            do {
                let socket = try Socket(context, .router)
                let monitor = try SocketMonitor(watching: socket)
                for _ in 0..<1100 {
                    try socket.bind("tcp://127.0.0.1:*")
                    try socket.unbind(try socket.lastEndpoint)
                }
                withExtendedLifetime(monitor) {}
            } catch {
                failure.set("\(error)")
            }
        }
        #expect(finished.wait(timeout: .now() + .seconds(10)) == .success, "binding blocked on the monitor")
        #expect(failure.get() == nil)
    }
}
