import Corsair
import Foundation
import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// A peer that takes each TCP connection and closes it before any greeting: what a CURVE server
/// looks like to a plain-text client when it hangs up before naming its mechanism.
private final class HangUpPeer: Sendable {
    let port: Int
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw POSIXError(.EADDRNOTAVAIL) }
        self.listener = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in
            while !self.stopped.load(ordering: .acquiring) {
                var poll = pollfd(fd: self.listener, events: Int16(POLLIN), revents: 0)
                guard Glibc.poll(&poll, 1, 20) > 0 else { continue }
                let connection = accept(self.listener, nil, nil)
                if connection >= 0 { close(connection) }
            }
            close(self.listener)
        }.start()
    }

    func stop() {
        self.stopped.store(true, ordering: .releasing)
    }
}

@Suite("Client engine: handshakes that fail without a reason")
struct HandshakeHangUpTests {
    @Test("a plain-text client whose every handshake is hung up on fails with an authentication error, not at its deadline")
    func plainTextHungUpOn() async throws {
        let peer = try HangUpPeer()
        defer { peer.stop() }
        // Attempt timeout and deadline far beyond what the reconnects take (about 100 ms each).
        let engine = try makeEngine(testPolicy(attempts: 1, timeout: .seconds(60), deadline: .seconds(60)))
        let started = ContinuousClock.now
        await #expect(performing: {
            _ = try await engine.request(bytes("x"), to: Endpoint("tcp://127.0.0.1:\(peer.port)"))
        }, throws: { error in
            guard let error = error as? CorsairError, error.code == .authenticationFailed else { return false }
            return (error.underlyingError as? HandshakeFailure)?.code == .noDetail && error.message.contains("may require CURVE")
        })
        // A hang bound: without the count the request would wait out its 60 s deadline.
        #expect(started.duration(to: .now) < .seconds(50))
        await engine.shutdown()
    }
}
