import Testing
import ZeroMQ

/// CURVE security against real libzmq 4.3.4.
///
/// What libzmq 4.3.4 reports when a CURVE handshake fails, as these tests observe it through a
/// monitor on each side (tcp loopback):
///
/// - Client has the wrong server key. Server: `handshakeFailedProtocol` with
///   `ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC` (0x11000001), then `disconnected`. Client: only
///   `handshakeFailed` (no detail), then `disconnected`; it reconnects after the reconnect interval
///   and fails the same way each time, for ever.
/// - Client is plaintext (NULL mechanism). Both sides: `handshakeFailedProtocol` with
///   `ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH` (0x11000002), then `disconnected`. The client does
///   not reconnect.
/// - The server's ZAP handler answers 400 (or 500). Both sides: `handshakeFailedAuthentication`
///   with that status (the client learns it from the server's ERROR command), then `disconnected`.
///   The client does not reconnect. (A 300 reaches only the server's monitor; the client hears
///   nothing and waits for the handshake interval.)
///
/// So only the server learns why a wrong server key failed: to the client it looks like a peer
/// that hung up mid-handshake, recognisable only by repeating on every reconnect.
@Suite("CURVE")
struct CurveTests {
    static let zmtpCryptographic: UInt32 = 0x1100_0001
    static let zmtpMechanismMismatch: UInt32 = 0x1100_0002

    /// A CURVE server ROUTER with a monitor, bound on tcp loopback.
    struct Server {
        let keys: CurveKeyPair
        let socket: Socket
        let monitor: SocketMonitor
        let endpoint: String

        init(_ context: Context) throws {
            self.keys = try CurveKeyPair.generate()
            self.socket = try Socket(context, .router)
            try self.socket.set(.curveServer, to: true)
            try self.socket.set(.curveSecretKey, to: self.keys.secretKey)
            self.monitor = try SocketMonitor(watching: self.socket)
            try self.socket.bind("tcp://127.0.0.1:*")
            self.endpoint = try self.socket.lastEndpoint
        }
    }

    /// A DEALER client with a monitor, set up as a CURVE client of `serverKey` unless it is `nil`.
    static func client(_ context: Context, serverKey: CurveKey?) throws -> (Socket, SocketMonitor) {
        let socket = try Socket(context, .dealer)
        if let serverKey {
            let keys = try CurveKeyPair.generate()
            try socket.set(.curveServerKey, to: serverKey)
            try socket.set(.curvePublicKey, to: keys.publicKey)
            try socket.set(.curveSecretKey, to: keys.secretKey)
        }
        return (socket, try SocketMonitor(watching: socket))
    }

    static func failures(_ events: [MonitorEvent]) -> [MonitorEvent] {
        events.filter(\.isHandshakeFailure)
    }

    @Test("the handshake succeeds with the right keys and a message goes through both ways")
    func rightKeys() throws {
        #expect(ZMQ.has("curve"))
        let context = try Context()
        let server = try Server(context)
        #expect(try server.socket.get(.curveServer))
        let (client, clientMonitor) = try Self.client(context, serverKey: server.keys.publicKey)
        #expect(try client.get(.curveServerKey) == server.keys.publicKey)
        try client.set(.routingID, to: [0xC1])
        try client.connect(server.endpoint)
        try client.send(multipart: [Array("secret".utf8)])

        #expect(try receiveMultipart(server.socket, timeout: .seconds(5)) == [[0xC1], Array("secret".utf8)])
        try server.socket.send(multipart: [[0xC1], Array("reply".utf8)])
        #expect(try receiveMultipart(client, timeout: .seconds(5)) == [Array("reply".utf8)])

        let clientEvents = try collectEvents(clientMonitor, timeout: .seconds(5)) {
            $0.contains(.handshakeSucceeded(endpoint: server.endpoint))
        }
        #expect(clientEvents.contains(.handshakeSucceeded(endpoint: server.endpoint)), "\(clientEvents)")
        let serverEvents = try collectEvents(server.monitor, timeout: .seconds(5)) {
            $0.contains(.handshakeSucceeded(endpoint: server.endpoint))
        }
        #expect(serverEvents.contains(.handshakeSucceeded(endpoint: server.endpoint)), "\(serverEvents)")
        withExtendedLifetime(client) {}
    }

    @Test("a wrong server key fails the handshake: a cryptographic error on the server, no detail on the client")
    func wrongServerKey() throws {
        let context = try Context()
        let server = try Server(context)
        let impostor = try CurveKeyPair.generate()
        let (client, clientMonitor) = try Self.client(context, serverKey: impostor.publicKey)
        try client.connect(server.endpoint)
        try client.send([1, 2, 3])

        let serverEvents = try collectEvents(server.monitor, timeout: .seconds(5)) { !Self.failures($0).isEmpty }
        #expect(
            Self.failures(serverEvents).first
                == .handshakeFailedProtocol(endpoint: server.endpoint, code: Self.zmtpCryptographic),
            "\(serverEvents)"
        )
        let clientEvents = try collectEvents(clientMonitor, timeout: .seconds(5)) { !Self.failures($0).isEmpty }
        #expect(Self.failures(clientEvents).first == .handshakeFailed(endpoint: server.endpoint), "\(clientEvents)")
        #expect(!clientEvents.contains(.handshakeSucceeded(endpoint: server.endpoint)))

        // The client reconnects and fails again; no message ever gets through.
        let again = try collectEvents(clientMonitor, timeout: .seconds(5)) { !Self.failures($0).isEmpty }
        #expect(Self.failures(again).first == .handshakeFailed(endpoint: server.endpoint), "\(again)")
        #expect(try receiveMultipart(server.socket, timeout: .milliseconds(200)) == nil)
        withExtendedLifetime(client) {}
    }

    @Test("a plaintext client fails the handshake with a mechanism mismatch on both sides")
    func plaintextClient() throws {
        let context = try Context()
        let server = try Server(context)
        let (client, clientMonitor) = try Self.client(context, serverKey: nil)
        try client.connect(server.endpoint)
        try client.send([1, 2, 3])

        let expected = MonitorEvent.handshakeFailedProtocol(endpoint: server.endpoint, code: Self.zmtpMechanismMismatch)
        let serverEvents = try collectEvents(server.monitor, timeout: .seconds(5)) { !Self.failures($0).isEmpty }
        #expect(Self.failures(serverEvents).first == expected, "\(serverEvents)")
        let clientEvents = try collectEvents(clientMonitor, timeout: .seconds(5)) { !Self.failures($0).isEmpty }
        #expect(Self.failures(clientEvents).first == expected, "\(clientEvents)")
        #expect(Self.failures(clientEvents).first?.handshakeFailure?.code == .mechanismMismatch, "\(clientEvents)")
        #expect(try receiveMultipart(server.socket, timeout: .milliseconds(200)) == nil)
        withExtendedLifetime(client) {}
    }

    @Test("a handshake failure event folds into one code to branch on")
    func handshakeFailureCodes() {
        let endpoint = "tcp://127.0.0.1:5555"
        let cases: [(MonitorEvent, HandshakeFailure.Code?)] = [
            (.handshakeFailedProtocol(endpoint: endpoint, code: Self.zmtpMechanismMismatch), .mechanismMismatch),
            (.handshakeFailedProtocol(endpoint: endpoint, code: Self.zmtpCryptographic), .cryptographic),
            (.handshakeFailedProtocol(endpoint: endpoint, code: 0x1000_0001), .protocolError),
            (.handshakeFailedAuthentication(endpoint: endpoint, status: 400), .authenticationRefused),
            (.handshakeFailed(endpoint: endpoint), .noDetail),
            (.handshakeSucceeded(endpoint: endpoint), nil),
        ]
        for (event, code) in cases {
            #expect(event.handshakeFailure?.code == code, "\(event)")
            // The failure reads as the event it came from.
            if let failure = event.handshakeFailure {
                #expect("\(failure)" == "\(event)")
            }
        }
        #expect(MonitorEvent.handshakeFailedAuthentication(endpoint: endpoint, status: 400).handshakeFailure?.zapStatus == 400)
    }

    @Test("a client refused by the ZAP handler fails with authentication status 400 on both sides")
    func zapRefused() throws {
        let context = try Context()
        let handler = try ZAPHandler.start(context, status: "400")
        defer { handler.stop() }
        let server = try Server(context)
        let (client, clientMonitor) = try Self.client(context, serverKey: server.keys.publicKey)
        try client.connect(server.endpoint)
        try client.send([1, 2, 3])

        let expected = MonitorEvent.handshakeFailedAuthentication(endpoint: server.endpoint, status: 400)
        let serverEvents = try collectEvents(server.monitor, timeout: .seconds(5)) { !Self.failures($0).isEmpty }
        #expect(Self.failures(serverEvents).first == expected, "\(serverEvents)")
        let clientEvents = try collectEvents(clientMonitor, timeout: .seconds(5)) { !Self.failures($0).isEmpty }
        #expect(Self.failures(clientEvents).first == expected, "\(clientEvents)")
        #expect(try receiveMultipart(server.socket, timeout: .milliseconds(200)) == nil)
        #expect(handler.requests() >= 1)
        #expect(handler.mechanisms().allSatisfy { $0 == "CURVE" })
        withExtendedLifetime(client) {}
    }

    @Test("a client accepted by the ZAP handler gets through")
    func zapAccepted() throws {
        let context = try Context()
        let handler = try ZAPHandler.start(context, status: "200")
        defer { handler.stop() }
        let server = try Server(context)
        let (client, _) = try Self.client(context, serverKey: server.keys.publicKey)
        try client.set(.routingID, to: [7])
        try client.connect(server.endpoint)
        try client.send([1, 2, 3])
        #expect(try receiveMultipart(server.socket, timeout: .seconds(5)) == [[7], [1, 2, 3]])
        #expect(handler.requests() >= 1)
    }
}

