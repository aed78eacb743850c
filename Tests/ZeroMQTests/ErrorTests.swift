import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// libzmq's own errnos (zmq.h), spelled out so that the tests do not call libzmq themselves.
private let zmqHausnumero: Int32 = 156_384_712
private let EFSM = zmqHausnumero + 51
private let ENOCOMPATPROTO = zmqHausnumero + 52
private let ETERM = zmqHausnumero + 53

@Suite("Errors")
struct ErrorTests {
    @Test("a REQ socket sending twice gets invalidState, not a crash")
    func requestSendsTwice() throws {
        let context = try Context()
        let server = try Socket(context, .rep)
        let endpoint = try bindFresh(server, .inproc)
        let client = try Socket(context, .req)
        try client.connect(endpoint)

        try client.send([1])
        let error = try #require(throws: ZMQError.self) { try client.send([2]) }
        #expect(error.code == .invalidState)
        #expect(error.errno == EFSM)
        #expect(error.operation == "send REQ")

        // The socket is still usable: the first request gets its reply.
        #expect(try receiveMultipart(server, timeout: .seconds(5)) == [[1]])
        try server.send([3])
        #expect(try receiveMultipart(client, timeout: .seconds(5)) == [[3]])
    }

    @Test("a REQ socket receiving before sending gets invalidState")
    func requestReceivesFirst() throws {
        let context = try Context()
        let client = try Socket(context, .req)
        let error = try #require(throws: ZMQError.self) { try client.receive(dontWait: true) }
        #expect(error.code == .invalidState)
    }

    @Test("receiving on a REP before any request, without waiting, gets wouldBlock")
    func replyWouldBlock() throws {
        let context = try Context()
        let server = try Socket(context, .rep)
        try server.bind("tcp://127.0.0.1:*")
        let error = try #require(throws: ZMQError.self) { try server.receive(dontWait: true) }
        #expect(error.code == .wouldBlock)
        #expect(error.errno == EAGAIN)
        #expect(error.operation == "receive REP")
    }

    @Test("a receive timeout ends a blocking receive with wouldBlock")
    func receiveTimeout() throws {
        let context = try Context()
        let server = try Socket(context, .rep)
        try server.bind("tcp://127.0.0.1:*")
        try server.set(.receiveTimeout, to: .milliseconds(30))
        let clock = ContinuousClock()
        let start = clock.now
        let error = try #require(throws: ZMQError.self) { try server.receive() }
        #expect(error.code == .wouldBlock)
        #expect(clock.now - start >= .milliseconds(25))
    }

    @Test("binding a port already in use gives addressInUse with a clear description")
    func addressInUse() throws {
        let context = try Context()
        let first = try Socket(context, .router)
        try first.bind("tcp://127.0.0.1:*")
        let endpoint = try first.lastEndpoint
        let second = try Socket(context, .router)
        let error = try #require(throws: ZMQError.self) { try second.bind(endpoint) }
        #expect(error.code == .addressInUse)
        #expect(error.errno == EADDRINUSE)
        #expect(error.operation == "bind \(endpoint)")
        #expect(error.description.contains("bind \(endpoint)"))
        #expect(error.description.contains("Address already in use"))
        #expect(error.description.contains("address in use"))

        // inproc names are taken the same way.
        let name = Transport.inproc.uniqueBindEndpoint()
        try first.bind(name)
        let inprocError = try #require(throws: ZMQError.self) { try second.bind(name) }
        #expect(inprocError.code == .addressInUse)
    }

    @Test("malformed and unsupported endpoints")
    func badEndpoints() throws {
        let context = try Context()
        let socket = try Socket(context, .dealer)
        let unknownTransport = try #require(throws: ZMQError.self) { try socket.bind("carrier-pigeon://x") }
        #expect(unknownTransport.code == .protocolNotSupported)
        let noPort = try #require(throws: ZMQError.self) { try socket.connect("tcp://127.0.0.1") }
        #expect(noPort.code == .invalidArgument)
        let notBound = try #require(throws: ZMQError.self) { try socket.unbind("tcp://127.0.0.1:1") }
        #expect(notBound.code == .endpointNotFound)
    }

    @Test("an operation the socket type does not have gets notSupported")
    func notSupported() throws {
        let context = try Context()
        let pull = try Socket(context, .pull)
        let error = try #require(throws: ZMQError.self) { try pull.send([1], dontWait: true) }
        #expect(error.code == .notSupported)
    }

    @Test("a mandatory ROUTER sending to an unknown peer gets hostUnreachable")
    func hostUnreachable() throws {
        let context = try Context()
        let router = try Socket(context, .router)
        try router.set(.routerMandatory, to: true)
        try router.bind("tcp://127.0.0.1:*")
        let error = try #require(throws: ZMQError.self) {
            try router.send(multipart: [Array("nobody".utf8), [1]], dontWait: true)
        }
        #expect(error.code == .hostUnreachable)
    }

    @Test("using a closed socket gets notASocket; closing twice does nothing")
    func closedSocket() throws {
        let context = try Context()
        let socket = try Socket(context, .dealer)
        #expect(!socket.isClosed)
        socket.close()
        socket.close()
        #expect(socket.isClosed)
        for attempt: () throws -> Void in [
            { try socket.send([1]) },
            { _ = try socket.receive() },
            { try socket.bind("tcp://127.0.0.1:*") },
            { try socket.connect("tcp://127.0.0.1:1") },
            { _ = try socket.lastEndpoint },
            { try socket.set(.linger, to: .zero) },
        ] {
            let error = try #require(throws: ZMQError.self) { try attempt() }
            #expect(error.code == .notASocket)
        }
    }

    @Test("a context with a bad I/O thread count fails cleanly")
    func badContext() throws {
        let error = try #require(throws: ZMQError.self) { try Context(ioThreads: -1) }
        #expect(error.code == .invalidArgument)
        // Zero I/O threads is legal: inproc needs none.
        let context = try Context(ioThreads: 0)
        let socket = try Socket(context, .pair)
        try socket.bind(Transport.inproc.uniqueBindEndpoint())
    }

    @Test("errno maps to codes; unknown errnos keep their number")
    func codes() {
        #expect(ZMQError.Code(errno: EAGAIN) == .wouldBlock)
        #expect(ZMQError.Code(errno: ETERM) == .terminated)
        #expect(ZMQError.Code(errno: ENODEV) == .addressNotAvailable)
        #expect(ZMQError.Code(errno: EADDRNOTAVAIL) == .addressNotAvailable)
        #expect(ZMQError.Code(errno: ENOCOMPATPROTO) == .protocolNotSupported)
        #expect(ZMQError.Code(errno: EMSGSIZE) == .messageTooLarge)
        #expect(ZMQError.Code(errno: EMFILE) == .tooManyOpenFiles)
        #expect(ZMQError.Code(errno: EINTR) == .interrupted)
        #expect(ZMQError.Code(errno: EPERM) == .other)
        #expect(ZMQError.Code.wouldBlock != .terminated)

        let error = ZMQError(errno: ETERM, operation: "receive DEALER")
        #expect(error.code == .terminated)
        #expect(error.message == "Context was terminated")
        #expect(error.description == "receive DEALER: Context was terminated (context terminated, errno \(ETERM))")
        let other = ZMQError(errno: EPERM, operation: "x")
        #expect(other.code == .other)
        #expect(other.errno == EPERM)
    }
}
