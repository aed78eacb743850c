import Corsair
import Testing

@Suite("CircuitBreaker")
struct CircuitBreakerTests {
    private let configuration = CircuitBreaker.Configuration(failures: 3, openFor: .seconds(5))

    @Test("the defaults are 5 failures and 5 seconds open")
    func defaults() {
        let configuration = CircuitBreaker.Configuration()
        #expect(configuration.failures == 5)
        #expect(configuration.openFor == .seconds(5))
        let breaker = CircuitBreaker(configuration: configuration)
        #expect(breaker.state == .closed)
        #expect(breaker.consecutiveFailures == 0)
        #expect(!breaker.isProbeOutstanding)
    }

    @Test("opens after N consecutive failures and fails fast while open")
    func opensAfterFailures() {
        let t0 = ContinuousClock.now
        var breaker = CircuitBreaker(configuration: self.configuration)
        for i in 1...2 {
            #expect(breaker.allowRequest(now: t0) == true)
            breaker.recordFailure(now: t0)
            #expect(breaker.state == .closed)
            #expect(breaker.consecutiveFailures == i)
        }
        breaker.recordFailure(now: t0.advanced(by: .seconds(1)))
        #expect(breaker.state == .open(until: t0.advanced(by: .seconds(6))))
        #expect(breaker.allowRequest(now: t0.advanced(by: .seconds(1))) == false)
        #expect(breaker.allowRequest(now: t0.advanced(by: .milliseconds(5_999))) == false)
        #expect(breaker.state == .open(until: t0.advanced(by: .seconds(6))))
    }

    @Test("a success resets the consecutive count")
    func successResets() {
        let t0 = ContinuousClock.now
        var breaker = CircuitBreaker(configuration: self.configuration)
        breaker.recordFailure(now: t0)
        breaker.recordFailure(now: t0)
        breaker.recordSuccess(now: t0)
        #expect(breaker.consecutiveFailures == 0)
        breaker.recordFailure(now: t0)
        breaker.recordFailure(now: t0)
        #expect(breaker.state == .closed)
        breaker.recordFailure(now: t0)
        #expect(breaker.state == .open(until: t0.advanced(by: .seconds(5))))
    }

    @Test("half-open lets exactly one probe through")
    func oneProbe() {
        let t0 = ContinuousClock.now
        var breaker = self.openBreaker(at: t0)
        let later = t0.advanced(by: .seconds(5))
        #expect(breaker.allowRequest(now: later) == true)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.isProbeOutstanding)
        for ms in 0..<100 {
            #expect(breaker.allowRequest(now: later.advanced(by: .milliseconds(ms * 100))) == false)
        }
    }

    @Test("a successful probe closes the breaker")
    func probeSuccess() {
        let t0 = ContinuousClock.now
        var breaker = self.openBreaker(at: t0)
        let later = t0.advanced(by: .seconds(6))
        #expect(breaker.allowRequest(now: later) == true)
        breaker.recordSuccess(now: later)
        #expect(breaker.state == .closed)
        #expect(breaker.consecutiveFailures == 0)
        #expect(!breaker.isProbeOutstanding)
        #expect(breaker.allowRequest(now: later) == true)
        #expect(breaker.allowRequest(now: later) == true)
    }

    @Test("a failed probe opens the breaker again for openFor")
    func probeFailure() {
        let t0 = ContinuousClock.now
        var breaker = self.openBreaker(at: t0)
        let later = t0.advanced(by: .seconds(7))
        #expect(breaker.allowRequest(now: later) == true)
        breaker.recordFailure(now: later)
        #expect(breaker.state == .open(until: later.advanced(by: .seconds(5))))
        #expect(!breaker.isProbeOutstanding)
        #expect(breaker.allowRequest(now: later.advanced(by: .seconds(4))) == false)
        #expect(breaker.allowRequest(now: later.advanced(by: .seconds(5))) == true)
        #expect(breaker.state == .halfOpen)
    }

    @Test("releasing a cancelled probe lets the next request probe")
    func releaseProbe() {
        let t0 = ContinuousClock.now
        var breaker = self.openBreaker(at: t0)
        let later = t0.advanced(by: .seconds(5))
        #expect(breaker.allowRequest(now: later) == true)
        #expect(breaker.allowRequest(now: later) == false)
        breaker.releaseProbe()
        #expect(breaker.state == .halfOpen)
        #expect(!breaker.isProbeOutstanding)
        #expect(breaker.allowRequest(now: later) == true)
        #expect(breaker.allowRequest(now: later) == false)
    }

    @Test("releaseProbe does nothing outside half-open")
    func releaseProbeElsewhere() {
        let t0 = ContinuousClock.now
        var breaker = CircuitBreaker(configuration: self.configuration)
        breaker.releaseProbe()
        #expect(breaker.state == .closed)
        breaker = self.openBreaker(at: t0)
        breaker.releaseProbe()
        #expect(breaker.state == .open(until: t0.advanced(by: .seconds(5))))
    }

    @Test("a late failure while open does not extend the open period")
    func lateFailureWhileOpen() {
        let t0 = ContinuousClock.now
        var breaker = self.openBreaker(at: t0)
        breaker.recordFailure(now: t0.advanced(by: .seconds(2)))
        #expect(breaker.state == .open(until: t0.advanced(by: .seconds(5))))
        #expect(breaker.consecutiveFailures == 4)
    }

    @Test("a threshold below 1 opens on the first failure instead of trapping")
    func badThreshold() {
        let t0 = ContinuousClock.now
        var breaker = CircuitBreaker(configuration: .init(failures: 0, openFor: .seconds(-1)))
        breaker.recordFailure(now: t0)
        #expect(breaker.state == .open(until: t0))
        #expect(breaker.allowRequest(now: t0) == true)
    }

    private func openBreaker(at t0: ContinuousClock.Instant) -> CircuitBreaker {
        var breaker = CircuitBreaker(configuration: self.configuration)
        for _ in 0..<self.configuration.failures {
            breaker.recordFailure(now: t0)
        }
        return breaker
    }
}
