import Dispatch
import Foundation
import Synchronization
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The transports the round-trip tests run over.
enum Transport: String, CaseIterable, Sendable, CustomStringConvertible {
    case inproc
    case ipc
    case tcp

    var description: String { self.rawValue }

    /// An endpoint to bind that no other test uses.
    func uniqueBindEndpoint() -> String {
        switch self {
        case .inproc:
            return "inproc://zmqtests-\(UUID().uuidString)"
        case .ipc:
            // sun_path holds 107 bytes; fall back to /tmp when TMPDIR is too deep for that.
            let name = "zmqtests-\(UUID().uuidString.prefix(18)).sock"
            var directory = FileManager.default.temporaryDirectory.path
            if directory.utf8.count + name.utf8.count > 100 {
                directory = "/tmp"
            }
            if directory.hasSuffix("/") {
                directory.removeLast()
            }
            return "ipc://\(directory)/\(name)"
        case .tcp:
            return "tcp://127.0.0.1:*"
        }
    }
}

/// Binds a socket on a fresh endpoint of a transport and returns the endpoint to connect to.
///
/// Pair it with ``removeIPCFile(_:)``: libzmq 4.3.4 leaves the socket file of an ipc endpoint behind.
func bindFresh(_ socket: Socket, _ transport: Transport) throws -> String {
    try socket.bind(transport.uniqueBindEndpoint())
    return try socket.lastEndpoint
}

/// Deletes the socket file of an `ipc://` endpoint; does nothing for other transports.
func removeIPCFile(_ endpoint: String) {
    guard endpoint.hasPrefix("ipc://") else { return }
    unlink(String(endpoint.dropFirst("ipc://".count)))
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration, _ condition: () throws -> Bool) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while true {
        if try condition() { return true }
        if clock.now >= deadline { return false }
        usleep(1_000)
    }
}

/// Waits on a socket for one message, for at most `timeout`; `nil` when nothing came.
func receiveMultipart(_ socket: Socket, timeout: Duration) throws -> [[UInt8]]? {
    var poller = Poller()
    poller.add(socket, events: .readable)
    guard try poller.poll(timeout: timeout) > 0 else { return nil }
    return try socket.receiveMultipart(dontWait: true)
}

/// Reads monitor events until one matches, for at most `timeout`; returns every event read.
///
/// The caller checks the returned events; returning them all keeps failures readable.
@discardableResult
func collectEvents(
    _ monitor: SocketMonitor,
    timeout: Duration,
    until done: ([MonitorEvent]) -> Bool
) throws -> [MonitorEvent] {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    var events: [MonitorEvent] = []
    while !done(events) {
        let left = clock.now.duration(to: deadline)
        guard left > .zero, let event = try monitor.next(timeout: left) else { break }
        events.append(event)
    }
    return events
}

/// Starts `body` on a new thread; the semaphore is signalled when it returns.
///
/// Wait on it with a timeout: a body that hangs is left behind, so a hang fails the test instead
/// of hanging the suite.
func runDetachedAsync(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        body()
        done.signal()
    }
    thread.start()
    return done
}

extension Duration {
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = self.components
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }

    var milliseconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

/// A byte pattern where every 4-byte word holds its own index, so lost, repeated or reordered
/// chunks all show up.
func indexPattern(byteCount: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: byteCount)
    bytes.withUnsafeMutableBytes { raw in
        fillIndexPattern(raw)
    }
    return bytes
}

func fillIndexPattern(_ raw: UnsafeMutableRawBufferPointer) {
    let words = raw.count / 4
    guard let base = raw.baseAddress else { return }
    let typed = base.bindMemory(to: UInt32.self, capacity: words)
    for index in 0..<words {
        typed[index] = UInt32(truncatingIfNeeded: index) &* 2_654_435_761
    }
    for index in (words * 4)..<raw.count {
        raw[index] = 0xA5
    }
}

/// Whether two buffers hold the same bytes.
func sameBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    guard a.count > 0, let left = a.baseAddress, let right = b.baseAddress else { return true }
    return memcmp(left, right, a.count) == 0
}

/// A value threads hand back to the test.
final class Box<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func set(_ newValue: Value) {
        self.value.withLock { $0 = newValue }
    }

    func get() -> Value {
        self.value.withLock { $0 }
    }
}

/// A flag one thread raises and others watch.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    var isSet: Bool { self.raised.load(ordering: .acquiring) }

    func set() { self.raised.store(true, ordering: .releasing) }
}

/// Counts calls of a zero-copy deallocator, which libzmq makes on its own threads.
final class CallCounter: Sendable {
    let calls = Atomic<Int>(0)
    let lastAddress = Atomic<Int>(0)
}
