#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wakes an I/O thread out of `zmq_poll`: a pipe any thread may write to.
///
/// Shared by the client engine's and the server's I/O threads.
///
/// A plain descriptor in the same poll is cheaper than an inproc socket pair and needs no socket
/// owned by the signalling thread, which is what lets async callers wake the loop.
final class Wakeup: Sendable {
    let readDescriptor: Int32
    private let writeDescriptor: Int32

    init() throws(CorsairError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw CorsairError.socketError(attempts: 0, endpoint: nil, operation: "pipe failed: errno \(errno)", underlying: nil)
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        self.readDescriptor = fds[0]
        self.writeDescriptor = fds[1]
    }

    /// Makes the read end readable. Safe from any thread; signals coalesce.
    func signal() {
        var one: UInt8 = 1
        // A full pipe already means "wake up", so a failed write loses nothing.
        _ = write(self.writeDescriptor, &one, 1)
    }

    /// Consumes pending signals. Called by the I/O thread only.
    func drain() {
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &buffer, { read(self.readDescriptor, $0.baseAddress, $0.count) }) > 0 {}
    }

    deinit {
        close(self.readDescriptor)
        close(self.writeDescriptor)
    }
}
