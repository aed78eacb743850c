import Synchronization

/// What the server's readiness is made of: its phase, set by ``CorsairServer`` as it binds and
/// drains, and the holds others put on it (a live migration, a map not loaded yet).
final class ServerReadinessBox: Sendable {
    private struct State {
        var phase: CorsairServer.Readiness.Phase = .starting
        var holds: [UInt64: String] = [:]
        var nextHold: UInt64 = 0
    }

    private let state = Mutex(State())

    var current: CorsairServer.Readiness {
        self.state.withLock { state in
            CorsairServer.Readiness(phase: state.phase, holds: state.holds.sorted { $0.key < $1.key }.map(\.value))
        }
    }

    /// Moves to `phase` unless the server has already gone further: a late "bound" never undoes
    /// "draining".
    func advance(to phase: CorsairServer.Readiness.Phase) {
        self.state.withLock { state in
            if phase.order > state.phase.order { state.phase = phase }
        }
    }

    func hold(_ reason: String) -> UInt64 {
        self.state.withLock { state in
            state.nextHold += 1
            state.holds[state.nextHold] = reason
            return state.nextHold
        }
    }

    func release(_ id: UInt64) {
        _ = self.state.withLock { $0.holds.removeValue(forKey: id) }
    }
}
