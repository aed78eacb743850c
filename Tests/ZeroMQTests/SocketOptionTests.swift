import Testing
import ZeroMQ

@Suite("Socket options")
struct SocketOptionTests {
    @Test("optional times round-trip, nil meaning no limit",
          arguments: [SocketOption<Duration?>.linger, .sendTimeout, .receiveTimeout, .reconnectInterval])
    func optionalTimes(option: SocketOption<Duration?>) throws {
        let context = try Context()
        let socket = try Socket(context, .dealer)
        for value: Duration? in [nil, .zero, .milliseconds(1), .milliseconds(250), .seconds(90)] {
            try socket.set(option, to: value)
            #expect(try socket.get(option) == value, "\(option.label) = \(String(describing: value))")
        }
    }

    @Test("times round-trip in milliseconds",
          arguments: [SocketOption<Duration>.reconnectIntervalMax, .handshakeInterval, .connectTimeout,
                      .heartbeatInterval, .heartbeatTimeout])
    func times(option: SocketOption<Duration>) throws {
        let context = try Context()
        let socket = try Socket(context, .dealer)
        for value: Duration in [.zero, .milliseconds(1), .milliseconds(1500), .seconds(30)] {
            try socket.set(option, to: value)
            #expect(try socket.get(option) == value, "\(option.label) = \(value)")
        }
    }

    @Test("the heartbeat TTL is kept in tenths of a second and rounds up, never down")
    func heartbeatTTL() throws {
        let context = try Context()
        let socket = try Socket(context, .dealer)
        let cases: [(Duration, Duration)] = [
            (.zero, .zero),
            (.milliseconds(100), .milliseconds(100)),
            (.milliseconds(1500), .milliseconds(1500)),
            (.milliseconds(1550), .milliseconds(1600)),
            (.milliseconds(1), .milliseconds(100)),
            (.seconds(30), .seconds(30)),
        ]
        for (value, expected) in cases {
            try socket.set(.heartbeatTTL, to: value)
            #expect(try socket.get(.heartbeatTTL) == expected, "set \(value)")
        }
    }

    @Test("Duration becomes milliseconds rounded up and saturated")
    func durationRounding() throws {
        #expect(Duration.zero.zmqMilliseconds == 0)
        #expect(Duration.nanoseconds(1).zmqMilliseconds == 1)
        #expect(Duration.microseconds(999).zmqMilliseconds == 1)
        #expect(Duration.milliseconds(1).zmqMilliseconds == 1)
        #expect(Duration.nanoseconds(1_000_001).zmqMilliseconds == 2)
        #expect(Duration.milliseconds(1500).zmqMilliseconds == 1500)
        #expect(Duration.seconds(2_147_483).zmqMilliseconds == 2_147_483_000)
        #expect(Duration.seconds(2_147_484).zmqMilliseconds == Int32.max)
        #expect(Duration.seconds(Int64.max).zmqMilliseconds == Int32.max)
        #expect(Duration.milliseconds(-5).zmqMilliseconds == 0)
        #expect(Duration.seconds(1).zmqSeconds == 1)
        #expect(Duration.milliseconds(1001).zmqSeconds == 2)
        #expect(Duration.zmqMilliseconds(250) == .milliseconds(250))

        // The same rules through a real option.
        let context = try Context()
        let socket = try Socket(context, .dealer)
        try socket.set(.receiveTimeout, to: .microseconds(1))
        #expect(try socket.get(.receiveTimeout) == .milliseconds(1))
        try socket.set(.receiveTimeout, to: .nanoseconds(1_500_000))
        #expect(try socket.get(.receiveTimeout) == .milliseconds(2))
        try socket.set(.receiveTimeout, to: .seconds(1_000_000_000))
        #expect(try socket.get(.receiveTimeout) == .milliseconds(Int64(Int32.max)))
        // A negative time is not "for ever": it does not wait at all.
        try socket.set(.receiveTimeout, to: .milliseconds(-3))
        #expect(try socket.get(.receiveTimeout) == .zero)
    }

    @Test("TCP keepalive times are whole seconds, rounded up")
    func keepalive() throws {
        let context = try Context()
        let socket = try Socket(context, .dealer)
        try socket.set(.tcpKeepalive, to: 1)
        #expect(try socket.get(.tcpKeepalive) == 1)
        try socket.set(.tcpKeepaliveIdle, to: .milliseconds(1500))
        #expect(try socket.get(.tcpKeepaliveIdle) == .seconds(2))
        try socket.set(.tcpKeepaliveInterval, to: .seconds(5))
        #expect(try socket.get(.tcpKeepaliveInterval) == .seconds(5))
        try socket.set(.tcpKeepaliveCount, to: 3)
        #expect(try socket.get(.tcpKeepaliveCount) == 3)
    }

    @Test("counts and flags round-trip")
    func countsAndFlags() throws {
        let context = try Context()
        let socket = try Socket(context, .dealer)
        for option in [SocketOption<Int>.sendHighWaterMark, .receiveHighWaterMark] {
            for value in [0, 1, 10_000] {
                try socket.set(option, to: value)
                #expect(try socket.get(option) == value, "\(option.label)")
            }
        }
        for value in [true, false] {
            try socket.set(.immediate, to: value)
            #expect(try socket.get(.immediate) == value)
        }
        #expect(try socket.get(.receiveMore) == false)

        for value: Int64? in [nil, 0, 1, 64 << 20] {
            try socket.set(.maximumMessageSize, to: value)
            #expect(try socket.get(.maximumMessageSize) == value)
        }
    }

    @Test("write-only options are accepted by the sockets they belong to")
    func writeOnly() throws {
        let context = try Context()
        let router = try Socket(context, .router)
        try router.set(.routerMandatory, to: true)
        try router.set(.routerHandover, to: true)
        let request = try Socket(context, .req)
        try request.set(.requestRelaxed, to: true)
        try request.set(.requestCorrelate, to: true)
        let subscriber = try Socket(context, .sub)
        try subscriber.set(.subscribe, to: Array("topic".utf8))
        try subscriber.set(.subscribe, to: [])
        try subscriber.set(.unsubscribe, to: Array("topic".utf8))
        // Options of another socket type are refused, not ignored.
        let dealer = try Socket(context, .dealer)
        let error = try #require(throws: ZMQError.self) { try dealer.set(.subscribe, to: [1]) }
        #expect(error.code == .invalidArgument)
        #expect(error.operation == "setsockopt ZMQ_SUBSCRIBE")
    }

    @Test("byte and text options round-trip")
    func bytesAndText() throws {
        let context = try Context()
        let socket = try Socket(context, .dealer)
        #expect(try socket.get(.routingID) == [])
        let identity: [UInt8] = [0, 1, 2, 0xFF]
        try socket.set(.routingID, to: identity)
        #expect(try socket.get(.routingID) == identity)
        let longest = [UInt8](repeating: 0x41, count: 255)
        try socket.set(.routingID, to: longest)
        #expect(try socket.get(.routingID) == longest)
        let tooLong = try #require(throws: ZMQError.self) {
            try socket.set(.routingID, to: [UInt8](repeating: 0x41, count: 256))
        }
        #expect(tooLong.code == .invalidArgument)

        try socket.set(.zapDomain, to: "corsair")
        #expect(try socket.get(.zapDomain) == "corsair")
    }

    @Test("lastEndpoint is empty before a bind and names the chosen port after one", arguments: Transport.allCases)
    func lastEndpoint(transport: Transport) throws {
        let context = try Context()
        let socket = try Socket(context, .router)
        #expect(try socket.lastEndpoint == "")
        let requested = transport.uniqueBindEndpoint()
        defer { removeIPCFile(requested) }
        try socket.bind(requested)
        let endpoint = try socket.lastEndpoint
        #expect(try socket.get(.lastEndpoint) == endpoint)
        switch transport {
        case .tcp:
            #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
            let port = Int(endpoint.dropFirst("tcp://127.0.0.1:".count))
            #expect(port.map { $0 > 0 && $0 < 65536 } == true, "\(endpoint)")
        case .ipc, .inproc:
            #expect(endpoint == requested)
        }
        try socket.unbind(endpoint)
    }

    @Test("the linger given at creation is set; the default is zero")
    func creationLinger() throws {
        let context = try Context()
        #expect(try Socket(context, .dealer).get(.linger) == .zero)
        #expect(try Socket(context, .dealer, linger: .milliseconds(30)).get(.linger) == .milliseconds(30))
        #expect(try Socket(context, .dealer, linger: nil).get(.linger) == nil)
    }

    @Test("options carry libzmq's names for errors")
    func labels() {
        #expect(SocketOption<Duration?>.linger.label == "ZMQ_LINGER")
        #expect(SocketOption<Int64?>.maximumMessageSize.label == "ZMQ_MAXMSGSIZE")
        #expect(SocketOption<String>.lastEndpoint.label == "ZMQ_LAST_ENDPOINT")
    }
}
