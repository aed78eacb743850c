import Foundation
import ZeroMQ

/// Asks a server whether it speaks plain text: one ZMTP handshake without CURVE, watched by a
/// monitor, nothing sent.
///
/// A CURVE client sees a wrong server key and a server without CURVE alike, as a connection that
/// drops during the handshake (libzmq reports a mechanism mismatch only when its greeting arrived
/// first, which is a race). A plain-text handshake tells the two apart: it succeeds with a server
/// without CURVE and fails on a mechanism mismatch with a CURVE server.
enum CurveProbe {
    /// `true` when a plain-text handshake with `endpoint` succeeds, `false` when it fails on a
    /// mechanism mismatch, `nil` when neither showed within `timeout`.
    ///
    /// The blocking zmq calls run on a thread of their own, off the concurrency pool.
    static func acceptsPlainText(_ endpoint: String, timeout: Duration = .seconds(2)) async -> Bool? {
        await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: Self.probe(endpoint, timeout: timeout))
            }.start()
        }
    }

    private static func probe(_ endpoint: String, timeout: Duration) -> Bool? {
        do throws(ZMQError) {
            let context = try Context()
            let socket = try Socket(context, .dealer)
            defer { socket.close() }
            let monitor = try SocketMonitor(watching: socket)
            defer { monitor.close() }
            try socket.connect(endpoint)
            let deadline = ContinuousClock.now + timeout
            while true {
                let left = ContinuousClock.now.duration(to: deadline)
                guard left > .zero, let event = try monitor.next(timeout: left) else { return nil }
                if case .handshakeSucceeded = event { return true }
                if event.handshakeFailure?.code == .mechanismMismatch { return false }
            }
        } catch {
            return nil
        }
    }
}
