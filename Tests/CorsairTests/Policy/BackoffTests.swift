import Corsair
import Testing

@Suite("Backoff")
struct BackoffTests {
    private static let samples = 5_000

    @Test("no jitter gives the exact capped exponential")
    func noJitter() {
        var rng = SplitMix64(seed: 1)
        let backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(1), multiplier: 2, jitter: .none)
        let delays = (1...8).map { backoff.delay(beforeRetry: $0, previous: nil, using: &rng) }
        #expect(
            delays == [
                .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(400),
                .milliseconds(800), .seconds(1), .seconds(1), .seconds(1),
            ]
        )
        // Retry numbers below 1 are the first retry.
        #expect(backoff.delay(beforeRetry: 0, previous: nil, using: &rng) == .milliseconds(50))
        #expect(backoff.delay(beforeRetry: -5, previous: nil, using: &rng) == .milliseconds(50))
    }

    @Test("full jitter stays in 0...base and spreads over it", arguments: [1, 2, 3, 4, 10])
    func fullJitter(retry: Int) {
        var rng = SplitMix64(seed: UInt64(retry))
        let backoff = Backoff(jitter: .full)
        let base = Self.base(backoff, retry: retry)
        let delays = (0..<Self.samples).map { _ in backoff.delay(beforeRetry: retry, previous: nil, using: &rng) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= base })
        let mean = Self.mean(delays)
        #expect(abs(mean / base - 0.5) < 0.03, "mean \(mean) should be about half of \(base)")
        #expect(delays.min()! < base / 20)
        #expect(delays.max()! > base * 19 / 20)
    }

    @Test("equal jitter stays in base/2...base", arguments: [1, 2, 3, 4, 10])
    func equalJitter(retry: Int) {
        var rng = SplitMix64(seed: 100 + UInt64(retry))
        let backoff = Backoff(jitter: .equal)
        let base = Self.base(backoff, retry: retry)
        let delays = (0..<Self.samples).map { _ in backoff.delay(beforeRetry: retry, previous: nil, using: &rng) }
        #expect(delays.allSatisfy { $0 >= base / 2 && $0 <= base })
        let mean = Self.mean(delays)
        #expect(abs(mean / base - 0.75) < 0.03, "mean \(mean) should be about three quarters of \(base)")
    }

    @Test("decorrelated jitter stays in initial...maximum and feeds on the previous delay")
    func decorrelatedJitter() {
        var rng = SplitMix64(seed: 7)
        let backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(1), jitter: .decorrelated)
        var previous: Duration?
        var sawMaximum = false
        for retry in 1...Self.samples {
            let delay = backoff.delay(beforeRetry: retry, previous: previous, using: &rng)
            #expect(delay >= .milliseconds(50) && delay <= .seconds(1))
            if let previous {
                #expect(delay <= previous * 3)
            } else {
                #expect(delay <= .milliseconds(150))
            }
            sawMaximum = sawMaximum || delay == .seconds(1)
            previous = delay
        }
        // Capping after sampling puts real mass on the maximum.
        #expect(sawMaximum)
    }

    @Test("growth is capped at the maximum for every jitter")
    func cappedGrowth() {
        var rng = SplitMix64(seed: 3)
        for jitter in [Backoff.Jitter.none, .full, .equal, .decorrelated] {
            let backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(300), multiplier: 3, jitter: jitter)
            var previous: Duration?
            for retry in 1...200 {
                let delay = backoff.delay(beforeRetry: retry, previous: previous, using: &rng)
                #expect(delay >= .zero && delay <= .milliseconds(300), "\(jitter) retry \(retry): \(delay)")
                previous = delay
            }
        }
    }

    @Test("huge retry counts and previous delays do not overflow")
    func hugeValues() {
        var rng = SplitMix64(seed: 4)
        for jitter in [Backoff.Jitter.none, .full, .equal, .decorrelated] {
            let backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(1), multiplier: 10, jitter: jitter)
            for retry in [64, 1_000, Int.max / 2, Int.max] {
                let delay = backoff.delay(beforeRetry: retry, previous: .seconds(Int64.max), using: &rng)
                #expect(delay >= .zero && delay <= .seconds(1))
            }
        }
        let none = Backoff(jitter: .none)
        #expect(none.delay(beforeRetry: .max, previous: nil, using: &rng) == .seconds(1))
    }

    @Test("out-of-range configurations clamp instead of trapping")
    func badConfigurations() {
        var rng = SplitMix64(seed: 5)
        let shapes = [
            Backoff(initial: .seconds(-1), maximum: .seconds(1)),
            Backoff(initial: .seconds(2), maximum: .seconds(1)),
            Backoff(initial: .zero, maximum: .zero),
            Backoff(initial: .milliseconds(1), maximum: .seconds(-3)),
            Backoff(multiplier: .nan),
            Backoff(multiplier: .infinity),
            Backoff(multiplier: 0.5),
            Backoff(initial: .zero, multiplier: .infinity),
        ]
        for shape in shapes {
            for jitter in [Backoff.Jitter.none, .full, .equal, .decorrelated] {
                var backoff = shape
                backoff.jitter = jitter
                for retry in [1, 2, 50, Int.max] {
                    let delay = backoff.delay(beforeRetry: retry, previous: .seconds(-1), using: &rng)
                    #expect(delay >= .zero && delay <= max(backoff.maximum, .zero))
                }
            }
        }
    }

    @Test("a seeded generator gives the same delays")
    func reproducible() {
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        let backoff = Backoff()
        let a = (1...20).map { backoff.delay(beforeRetry: $0, previous: nil, using: &first) }
        let b = (1...20).map { backoff.delay(beforeRetry: $0, previous: nil, using: &second) }
        #expect(a == b)
    }

    private static func base(_ backoff: Backoff, retry: Int) -> Duration {
        var rng = SplitMix64(seed: 0)
        var exact = backoff
        exact.jitter = .none
        return exact.delay(beforeRetry: retry, previous: nil, using: &rng)
    }

    private static func mean(_ delays: [Duration]) -> Duration {
        delays.reduce(Duration.zero, +) / delays.count
    }
}
