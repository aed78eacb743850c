/// A retry budget or circuit breaker, known by the settings it was made with: what lets an
/// endpoint keep one of each per distinct setting (`EngineStateMachine.Guards`).
package protocol ConfiguredGuard: Sendable {
    associatedtype Configuration: Equatable
    var configuration: Configuration { get }
}

extension RetryBudget: ConfiguredGuard {}
extension CircuitBreaker: ConfiguredGuard {}
