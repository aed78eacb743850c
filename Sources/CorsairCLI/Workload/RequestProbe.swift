import Corsair
import Synchronization

/// Watches one request's events: its engine request id, its retries, reconnects and pushbacks.
///
/// The engine calls ``observe(_:)`` on its I/O thread; it only takes a short lock.
final class RequestProbe: Sendable {
    struct Counts: Sendable {
        /// The engine's ids for the request, the same on every attempt (the idempotency key the
        /// server's replay cache uses); another one each time a "moved" answer sent the request on
        /// to another server. Empty when nothing was sent.
        var requestIDs: [UInt64] = []
        /// Attempts beyond the first.
        var retries = 0
        /// Sockets closed and reopened for a retry.
        var reconnects = 0
        /// "Overloaded, retry after" answers.
        var pushbacks = 0
    }

    private let state = Mutex(Counts())

    var counts: Counts { self.state.withLock { $0 } }

    func observe(_ event: RequestEvent) {
        self.state.withLock { counts in
            switch event {
            case .attemptSent(let requestID, let attempt, _):
                if counts.requestIDs.last != requestID { counts.requestIDs.append(requestID) }
                if attempt > 1 { counts.retries += 1 }
            case .reconnecting:
                counts.reconnects += 1
            case .pushedBack:
                counts.pushbacks += 1
            case .timedOut, .staleReplyDropped, .succeeded, .abandoned, .redirected:
                break
            }
        }
    }
}
