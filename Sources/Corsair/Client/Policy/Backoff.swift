/// How long to wait before each retry: capped exponential growth with optional jitter.
///
/// The delay before retry `n` starts from `base = min(maximum, initial × multiplier^(n−1))`, and
/// ``jitter`` then spreads it out so that many clients retrying against the same failed endpoint
/// do not arrive in lockstep. The strategies follow AWS's "Exponential Backoff and Jitter".
///
/// ```swift
/// var rng = SystemRandomNumberGenerator()
/// let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
/// let wait = backoff.delay(beforeRetry: 1, previous: nil, using: &rng)  // in 0...100 ms
/// ```
public struct Backoff: Sendable, Hashable {
    /// How the computed base delay is randomised.
    public enum Jitter: Sendable, Hashable {
        /// Exactly the base delay. Deterministic, but synchronised clients retry together.
        case none
        /// Uniform in `0...base`. Spreads retries the most; the usual choice.
        case full
        /// `base/2` plus uniform in `0...base/2`. Keeps at least half the base delay.
        case equal
        /// Uniform in `initial...(3 × previous delay)`, capped at ``Backoff/maximum``.
        /// Grows from the delay actually used last time rather than from the retry number.
        case decorrelated
    }

    /// The base delay before the first retry. Default: 50 ms.
    public var initial: Duration
    /// The largest delay ever returned. Default: 1 s.
    public var maximum: Duration
    /// The factor the base delay grows by per retry; at least 1. Default: 2.
    public var multiplier: Double
    /// How the base delay is randomised. Default: ``Jitter/full``.
    public var jitter: Jitter

    /// A backoff with the given shape; every parameter has a default.
    ///
    /// - Parameters:
    ///   - initial: The base delay before the first retry. Default: 50 ms.
    ///   - maximum: The largest delay ever returned. Default: 1 s.
    ///   - multiplier: The growth factor per retry. Default: 2.
    ///   - jitter: How the base delay is randomised. Default: ``Jitter/full``.
    public init(
        initial: Duration = .milliseconds(50),
        maximum: Duration = .seconds(1),
        multiplier: Double = 2,
        jitter: Jitter = .full
    ) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// The delay to wait before a retry.
    ///
    /// The result is never negative and never above ``maximum``, whatever `retry` is; growth is
    /// computed in floating point and capped, so huge retry counts cannot overflow.
    ///
    /// - Parameters:
    ///   - retry: Which retry this is: 1 for the first retry (the second attempt). Values below 1
    ///     are treated as 1.
    ///   - previous: The delay returned for the previous retry, or `nil` before the first. Only
    ///     ``Jitter/decorrelated`` uses it.
    ///   - rng: The source of randomness; pass a seeded generator for reproducible delays.
    /// - Returns: How long to wait before sending the retry.
    public func delay(
        beforeRetry retry: Int,
        previous: Duration?,
        using rng: inout some RandomNumberGenerator
    ) -> Duration {
        let maximumNanoseconds = max(0, Self.nanoseconds(self.maximum))
        let initialNanoseconds = min(max(0, Self.nanoseconds(self.initial)), maximumNanoseconds)

        let nanoseconds: Double
        switch self.jitter {
        case .none:
            nanoseconds = self.baseNanoseconds(retry: retry, initial: initialNanoseconds, maximum: maximumNanoseconds)
        case .full:
            let base = self.baseNanoseconds(retry: retry, initial: initialNanoseconds, maximum: maximumNanoseconds)
            nanoseconds = Double.random(in: 0...base, using: &rng)
        case .equal:
            let half = self.baseNanoseconds(retry: retry, initial: initialNanoseconds, maximum: maximumNanoseconds) / 2
            nanoseconds = half + Double.random(in: 0...half, using: &rng)
        case .decorrelated:
            let previousNanoseconds = previous.map { max(0, Self.nanoseconds($0)) } ?? initialNanoseconds
            // A Duration is at most ~9.2e27 ns, so × 3 stays finite and the range is valid.
            let upper = max(initialNanoseconds, previousNanoseconds) * 3
            nanoseconds = min(maximumNanoseconds, Double.random(in: initialNanoseconds...upper, using: &rng))
        }
        return Self.duration(nanoseconds: nanoseconds, maximum: self.maximum, maximumNanoseconds: maximumNanoseconds)
    }

    /// `min(maximum, initial × multiplier^(retry−1))` in nanoseconds, finite and within `0...maximum`.
    private func baseNanoseconds(retry: Int, initial: Double, maximum: Double) -> Double {
        guard retry > 1 else { return min(initial, maximum) }
        let exponent = Double(retry - 1)
        let factor = self.multiplier.isFinite ? saturatingPower(max(self.multiplier, 1), exponent) : .infinity
        let base = initial * factor
        // An infinite factor with a zero initial delay gives NaN; zero is the honest answer then.
        guard !base.isNaN else { return 0 }
        return min(base, maximum)
    }

    static func nanoseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }

    /// Converts back, returning `maximum` itself when capped so that no precision is lost there.
    private static func duration(nanoseconds: Double, maximum: Duration, maximumNanoseconds: Double) -> Duration {
        guard nanoseconds.isFinite, nanoseconds > 0 else { return .zero }
        if nanoseconds >= maximumNanoseconds { return max(maximum, .zero) }
        // Below `maximumNanoseconds`, but `maximum` itself may be centuries long: stay in Int64 range.
        guard nanoseconds < 9.2e18 else { return max(maximum, .zero) }
        return .nanoseconds(Int64(nanoseconds.rounded(.down)))
    }
}

/// `base^exponent` without importing Foundation or Glibc: repeated squaring, exact for the small integral
/// exponents retries use, and saturating to infinity rather than overflowing.
private func saturatingPower(_ base: Double, _ exponent: Double) -> Double {
    guard exponent > 0 else { return 1 }
    guard base != 1 else { return 1 }
    var result = 1.0
    var factor = base
    var remaining = exponent.rounded(.down)
    while remaining > 0 {
        if remaining.truncatingRemainder(dividingBy: 2) == 1 {
            result *= factor
            if !result.isFinite { return .infinity }
        }
        remaining = (remaining / 2).rounded(.down)
        if remaining > 0 {
            factor *= factor
            if !factor.isFinite { return .infinity }
        }
    }
    return result
}
