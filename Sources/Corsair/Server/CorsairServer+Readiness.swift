extension CorsairServer {
    /// Whether the server should get traffic now, as a load balancer's readiness probe asks.
    ///
    /// Ready once every endpoint is bound, until graceful shutdown starts, and only while nobody
    /// holds readiness (see ``holdReadiness(_:)``): a live migration holds it while slots it owns
    /// are held unserved, a map source while the first map is not loaded.
    public struct Readiness: Sendable, Equatable {
        /// Where the server is in its life.
        public enum Phase: String, Sendable, Equatable {
            /// Made, or running but not bound yet.
            case starting
            /// Every endpoint bound; serving.
            case serving
            /// Graceful shutdown started: finishing requests in flight, taking no new ones.
            case draining
            /// ``CorsairServer/run()`` returned.
            case stopped

            var order: Int {
                switch self {
                case .starting: return 0
                case .serving: return 1
                case .draining: return 2
                case .stopped: return 3
                }
            }
        }

        /// Where the server is in its life.
        public var phase: Phase
        /// The reasons given by the holds in place, oldest first.
        public var holds: [String]

        /// `true` when serving and nothing holds readiness.
        public var isReady: Bool { self.phase == .serving && self.holds.isEmpty }

        /// Why the server is not ready, for a probe's body: `ready`, `starting`, `draining`,
        /// `stopped` or `held: <reason>; <reason>`.
        public var summary: String {
            if self.phase != .serving { return self.phase.rawValue }
            return self.holds.isEmpty ? "ready" : "held: " + self.holds.joined(separator: "; ")
        }
    }

    /// A hold on the server's readiness; ``release()`` ends it (a second release does nothing).
    public struct ReadinessHold: Sendable {
        let box: ServerReadinessBox
        let id: UInt64

        /// Ends the hold; the server is ready again once no other hold and its phase allow it.
        public func release() {
            self.box.release(self.id)
        }
    }

    /// The server's readiness now; cheap enough to read on every probe.
    public var readiness: Readiness {
        self.readinessBox.current
    }

    /// Marks the server not ready, for `reason`, until the hold is released.
    ///
    /// The server keeps serving what it serves; only the readiness it reports changes, so a load
    /// balancer or an orchestrator sends it no new traffic meanwhile.
    ///
    /// ```swift
    /// let hold = server.holdReadiness("migration: slots 0-99 held unserved")
    /// defer { hold.release() }
    /// ```
    /// - Parameter reason: Shown in ``Readiness/holds`` and a probe's body.
    /// - Returns: The hold; release it when the reason has passed.
    public func holdReadiness(_ reason: String) -> ReadinessHold {
        ReadinessHold(box: self.readinessBox, id: self.readinessBox.hold(reason))
    }
}
