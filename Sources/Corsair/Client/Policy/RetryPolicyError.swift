/// A ``RetryPolicy`` field that cannot be used, with the field's name and why.
///
/// ```swift
/// do {
///     try RetryPolicy(attempts: 0).validated()
/// } catch {
///     print(error)  // "invalid retry policy: attempts must be at least 1, got 0"
/// }
/// ```
public struct RetryPolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which part of the policy is wrong, as a value callers can branch on. Opaque so that codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidAttempts
            case invalidTimeout
            case invalidDeadline
            case invalidBackoff
            case invalidBudget
            case invalidCircuitBreaker
            case invalidHeartbeat
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// ``RetryPolicy/attempts`` is below 1.
        public static let invalidAttempts = Code(.invalidAttempts)
        /// ``RetryPolicy/attemptTimeout`` is not positive.
        public static let invalidTimeout = Code(.invalidTimeout)
        /// ``RetryPolicy/deadline`` is set but not positive.
        public static let invalidDeadline = Code(.invalidDeadline)
        /// A ``Backoff`` field is out of range.
        public static let invalidBackoff = Code(.invalidBackoff)
        /// A ``RetryBudget/Configuration`` field is out of range.
        public static let invalidBudget = Code(.invalidBudget)
        /// A ``CircuitBreaker/Configuration`` field is out of range.
        public static let invalidCircuitBreaker = Code(.invalidCircuitBreaker)
        /// A ``RetryPolicy/Heartbeat`` field is out of range.
        public static let invalidHeartbeat = Code(.invalidHeartbeat)

        public var description: String {
            switch self.base {
            case .invalidAttempts: return "invalid attempts"
            case .invalidTimeout: return "invalid attempt timeout"
            case .invalidDeadline: return "invalid deadline"
            case .invalidBackoff: return "invalid backoff"
            case .invalidBudget: return "invalid retry budget"
            case .invalidCircuitBreaker: return "invalid circuit breaker"
            case .invalidHeartbeat: return "invalid heartbeat"
            }
        }
    }

    /// Which part of the policy is wrong.
    public let code: Code
    /// The rejected field's path, such as `backoff.multiplier`.
    public let field: String
    /// Why the value was rejected, including the value.
    public let message: String

    /// An error for a rejected field.
    public init(code: Code, field: String, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String {
        "invalid retry policy: \(self.field) \(self.message)"
    }
}
