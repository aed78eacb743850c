import Corsair
import Testing

@Suite("RetryBudget")
struct RetryBudgetTests {
    @Test("a fresh budget holds the reserve, minPerSecond × window")
    func reserveWithoutRequests() {
        let t0 = ContinuousClock.now
        var budget = RetryBudget(configuration: .init(ratio: 0.2, minPerSecond: 10, window: .seconds(10)))
        #expect(budget.available(now: t0) == 100)
        var allowed = 0
        while budget.tryWithdraw(now: t0), allowed < 1_000 {
            allowed += 1
        }
        #expect(allowed == 100)
        #expect(budget.available(now: t0) == 0)
        #expect(budget.tryWithdraw(now: t0.advanced(by: .milliseconds(500))) == false)
    }

    @Test("the reserve alone allows about minPerSecond retries per second in steady state")
    func floorRate() {
        let t0 = ContinuousClock.now
        var budget = RetryBudget(configuration: .init(ratio: 0.2, minPerSecond: 10, window: .seconds(10)))
        // Drain the reserve, then try 100 retries a second for 100 seconds with no requests.
        while budget.tryWithdraw(now: t0) {}
        var allowed = 0
        for tick in 1..<10_000 {
            if budget.tryWithdraw(now: t0.advanced(by: .milliseconds(10 * tick))) == true {
                // The drained reserve comes back once the first window has passed.
                #expect(tick >= 1_000)
                allowed += 1
            }
        }
        // 90 s at 10 per second.
        #expect(allowed >= 880 && allowed <= 920, "allowed \(allowed)")
    }

    @Test("100 requests with ratio 0.2 allow 20 retries on top of the reserve")
    func ratio() {
        let t0 = ContinuousClock.now
        var budget = RetryBudget(configuration: .init(ratio: 0.2, minPerSecond: 10, window: .seconds(10)))
        for i in 0..<100 {
            budget.recordRequest(now: t0.advanced(by: .milliseconds(10 * i)))
        }
        let now = t0.advanced(by: .seconds(1))
        #expect(abs(budget.available(now: now) - 120) < 1e-6)
        var allowed = 0
        while budget.tryWithdraw(now: now), allowed < 1_000 {
            allowed += 1
        }
        #expect(allowed == 120)
        #expect(budget.tryWithdraw(now: now) == false)
    }

    @Test("with no reserve only deposits allow retries")
    func ratioOnly() {
        let t0 = ContinuousClock.now
        var budget = RetryBudget(configuration: .init(ratio: 0.2, minPerSecond: 0, window: .seconds(10)))
        #expect(budget.tryWithdraw(now: t0) == false)
        for _ in 0..<4 {
            budget.recordRequest(now: t0)
        }
        #expect(budget.tryWithdraw(now: t0) == false, "0.8 of a retry is not a retry")
        budget.recordRequest(now: t0)
        #expect(budget.tryWithdraw(now: t0) == true)
        #expect(budget.tryWithdraw(now: t0) == false)
    }

    @Test("deposits and withdrawals expire after the window")
    func expiry() {
        let t0 = ContinuousClock.now
        var budget = RetryBudget(configuration: .init(ratio: 1, minPerSecond: 0, window: .seconds(10)))
        for _ in 0..<5 {
            budget.recordRequest(now: t0)
        }
        #expect(budget.available(now: t0.advanced(by: .seconds(9))) == 5)
        #expect(budget.available(now: t0.advanced(by: .seconds(10))) == 0)
        #expect(budget.tryWithdraw(now: t0.advanced(by: .seconds(11))) == false)

        // Withdrawals age out too: spend the reserve, and it is back a window later.
        var reserveOnly = RetryBudget(configuration: .init(ratio: 0, minPerSecond: 1, window: .seconds(10)))
        while reserveOnly.tryWithdraw(now: t0) {}
        #expect(reserveOnly.available(now: t0.advanced(by: .seconds(5))) == 0)
        #expect(reserveOnly.available(now: t0.advanced(by: .seconds(10))) == 10)
        #expect(reserveOnly.available(now: t0.advanced(by: .seconds(1_000_000))) == 10)
    }

    @Test("a dead endpoint under steady traffic gets about ratio × requests + minPerSecond retries per second")
    func steadyState() {
        let t0 = ContinuousClock.now
        var budget = RetryBudget(configuration: .init(ratio: 0.2, minPerSecond: 10, window: .seconds(10)))
        // 100 requests a second for 60 s, each wanting up to two retries.
        var allowedAfterWarmup = 0
        for ms in stride(from: 0, to: 60_000, by: 10) {
            let now = t0.advanced(by: .milliseconds(ms))
            budget.recordRequest(now: now)
            for _ in 0..<2 where budget.tryWithdraw(now: now) {
                if ms >= 20_000 { allowedAfterWarmup += 1 }
            }
        }
        // 40 s at 0.2 × 100 + 10 = 30 retries a second.
        let perSecond = Double(allowedAfterWarmup) / 40
        #expect(perSecond > 28 && perSecond < 32, "\(perSecond) retries per second")
    }

    @Test("instants earlier than one already seen count toward the newest bucket")
    func outOfOrder() {
        let t0 = ContinuousClock.now
        var budget = RetryBudget(configuration: .init(ratio: 1, minPerSecond: 0, window: .seconds(10)))
        budget.recordRequest(now: t0.advanced(by: .seconds(5)))
        budget.recordRequest(now: t0)
        #expect(budget.available(now: t0.advanced(by: .seconds(5))) == 2)
        #expect(budget.available(now: t0) == 2)
    }

    @Test("bad configurations do not trap")
    func badConfigurations() {
        let t0 = ContinuousClock.now
        for configuration in [
            RetryBudget.Configuration(ratio: -1, minPerSecond: -5, window: .zero),
            RetryBudget.Configuration(ratio: .nan, minPerSecond: .max, window: .seconds(-1)),
            RetryBudget.Configuration(ratio: .infinity, minPerSecond: 1, window: .seconds(Int64.max)),
        ] {
            var budget = RetryBudget(configuration: configuration)
            budget.recordRequest(now: t0)
            _ = budget.tryWithdraw(now: t0.advanced(by: .seconds(1)))
            _ = budget.tryWithdraw(now: t0.advanced(by: .seconds(1_000_000_000)))
            #expect(budget.available(now: t0.advanced(by: .seconds(1_000_000_000))) >= 0)
        }
    }
}
