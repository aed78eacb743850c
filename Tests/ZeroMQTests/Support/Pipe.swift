import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pipe, closed when released.
final class Pipe {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw ZMQError(errno: errno, operation: "pipe") }
        self.readEnd = fds[0]
        self.writeEnd = fds[1]
    }

    deinit {
        close(self.readEnd)
        close(self.writeEnd)
    }

    func put(_ byte: UInt8) {
        var byte = byte
        _ = write(self.writeEnd, &byte, 1)
    }

    func take() -> UInt8? {
        var byte: UInt8 = 0
        return read(self.readEnd, &byte, 1) == 1 ? byte : nil
    }
}
