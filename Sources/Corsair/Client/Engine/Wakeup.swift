#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wakes the I/O thread out of `zmq_poll`: a file descriptor any thread may signal.
///
/// An eventfd on Linux (a pipe elsewhere) is cheaper than an inproc socket pair and needs no
/// socket owned by the signalling thread, which is what lets async callers wake the loop.
final class Wakeup: Sendable {
    let readDescriptor: Int32
    private let writeDescriptor: Int32

    init() throws(CorsairError) {
        #if os(Linux)
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { throw CorsairError.socketError(attempts: 0, endpoint: nil, operation: "eventfd failed: errno \(errno)", underlying: nil) }
        self.readDescriptor = fd
        self.writeDescriptor = fd
        #else
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CorsairError.socketError(attempts: 0, endpoint: nil, operation: "pipe failed: errno \(errno)", underlying: nil) }
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        self.readDescriptor = fds[0]
        self.writeDescriptor = fds[1]
        #endif
    }

    /// Makes the descriptor readable. Safe from any thread; signals coalesce.
    func signal() {
        var one: UInt64 = 1
        // A full eventfd counter or pipe already means "wake up", so a failed write loses nothing.
        _ = withUnsafeBytes(of: &one) { write(self.writeDescriptor, $0.baseAddress, $0.count) }
    }

    /// Consumes pending signals. Called by the I/O thread only.
    func drain() {
        var buffer: (UInt64, UInt64) = (0, 0)
        while withUnsafeMutableBytes(of: &buffer, { read(self.readDescriptor, $0.baseAddress, $0.count) }) > 0 {}
    }

    deinit {
        close(self.readDescriptor)
        if self.writeDescriptor != self.readDescriptor {
            close(self.writeDescriptor)
        }
    }
}
