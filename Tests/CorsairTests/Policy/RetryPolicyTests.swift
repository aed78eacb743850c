import Corsair
import Testing

@Suite("RetryPolicy")
struct RetryPolicyTests {
    @Test("defaults match the documentation")
    func defaults() throws {
        let policy = RetryPolicy()
        #expect(policy == .default)
        #expect(policy.attempts == 3)
        #expect(policy.attemptTimeout == .milliseconds(2500))
        #expect(policy.deadline == .seconds(10))
        #expect(policy.backoff == Backoff(initial: .milliseconds(50), maximum: .seconds(1), multiplier: 2, jitter: .full))
        #expect(policy.budget == RetryBudget.Configuration(ratio: 0.2, minPerSecond: 10, window: .seconds(10)))
        #expect(policy.circuitBreaker == CircuitBreaker.Configuration(failures: 5, openFor: .seconds(5)))
        #expect(policy.mode == .recreate)
        try policy.validated()
    }

    @Test("disabling the budget, breaker and deadline is valid")
    func disabled() throws {
        let policy = RetryPolicy(attempts: 1, deadline: nil, budget: nil, circuitBreaker: nil, mode: .resend)
        try policy.validated()
        #expect(policy != .default)
    }

    @Test(
        "invalid fields are rejected with the field named",
        arguments: [
            (RetryPolicy(attempts: 0), RetryPolicyError.Code.invalidAttempts, "attempts"),
            (RetryPolicy(attempts: -3), .invalidAttempts, "attempts"),
            (RetryPolicy(attemptTimeout: .zero), .invalidTimeout, "attemptTimeout"),
            (RetryPolicy(attemptTimeout: .seconds(-1)), .invalidTimeout, "attemptTimeout"),
            (RetryPolicy(deadline: .zero), .invalidDeadline, "deadline"),
            (RetryPolicy(backoff: Backoff(initial: .milliseconds(-1))), .invalidBackoff, "backoff.initial"),
            (RetryPolicy(backoff: Backoff(initial: .seconds(2), maximum: .seconds(1))), .invalidBackoff, "backoff.maximum"),
            (RetryPolicy(backoff: Backoff(multiplier: 0.5)), .invalidBackoff, "backoff.multiplier"),
            (RetryPolicy(backoff: Backoff(multiplier: .nan)), .invalidBackoff, "backoff.multiplier"),
            (RetryPolicy(budget: .init(ratio: -0.1)), .invalidBudget, "budget.ratio"),
            (RetryPolicy(budget: .init(ratio: .infinity)), .invalidBudget, "budget.ratio"),
            (RetryPolicy(budget: .init(minPerSecond: -1)), .invalidBudget, "budget.minPerSecond"),
            (RetryPolicy(budget: .init(window: .zero)), .invalidBudget, "budget.window"),
            (RetryPolicy(circuitBreaker: .init(failures: 0)), .invalidCircuitBreaker, "circuitBreaker.failures"),
            (RetryPolicy(circuitBreaker: .init(openFor: .zero)), .invalidCircuitBreaker, "circuitBreaker.openFor"),
        ]
    )
    func invalid(policy: RetryPolicy, code: RetryPolicyError.Code, field: String) {
        #expect {
            try policy.validated()
        } throws: { error in
            guard let error = error as? RetryPolicyError else { return false }
            return error.code == code && error.field == field && error.description.hasPrefix("invalid retry policy: \(field) ")
        }
    }

    @Test("the error describes the field and value")
    func errorDescription() {
        do {
            try RetryPolicy(attempts: 0).validated()
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "invalid retry policy: attempts must be at least 1, got 0")
        }
    }
}
