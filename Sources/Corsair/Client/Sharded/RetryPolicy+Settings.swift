import ShardMap

extension RetryPolicy {
    /// The policy a config file's `retry:` section describes; fields it leaves out keep
    /// `defaults`' values.
    ///
    /// ```swift
    /// let map = try ShardMap(contentsOf: "Configs/demo.yaml")
    /// let policy = RetryPolicy(map.config.retry)
    /// ```
    public init(_ settings: RetrySettings, defaults: RetryPolicy = .default) {
        self = defaults
        if let attempts = settings.attempts { self.attempts = attempts }
        if let timeout = settings.attemptTimeout { self.attemptTimeout = timeout }
        if let deadline = settings.deadline { self.deadline = deadline }
        if let initial = settings.backoff.initial { self.backoff.initial = initial }
        if let maximum = settings.backoff.max { self.backoff.maximum = maximum }
        if let multiplier = settings.backoff.multiplier { self.backoff.multiplier = multiplier }
        if let jitter = settings.backoff.jitter {
            switch jitter {
            case .none: self.backoff.jitter = .none
            case .full: self.backoff.jitter = .full
            case .equal: self.backoff.jitter = .equal
            case .decorrelated: self.backoff.jitter = .decorrelated
            }
        }
        if settings.budget.ratio != nil || settings.budget.minPerSecond != nil {
            var budget = self.budget ?? RetryBudget.Configuration()
            if let ratio = settings.budget.ratio { budget.ratio = ratio }
            if let floor = settings.budget.minPerSecond { budget.minPerSecond = Int(floor.rounded(.up)) }
            self.budget = budget
        }
        if settings.circuitBreaker.failures != nil || settings.circuitBreaker.openFor != nil {
            var breaker = self.circuitBreaker ?? CircuitBreaker.Configuration()
            if let failures = settings.circuitBreaker.failures { breaker.failures = failures }
            if let openFor = settings.circuitBreaker.openFor { breaker.openFor = openFor }
            self.circuitBreaker = breaker
        }
        if let mode = settings.mode {
            switch mode {
            case .recreate: self.mode = .recreate
            case .resend: self.mode = .resend
            case .pipelined: self.mode = .pipelined
            }
        }
        if let interval = settings.heartbeatInterval {
            self.heartbeat = interval == .zero ? nil : Heartbeat(interval: interval, timeout: settings.heartbeatTimeout)
        } else if let timeout = settings.heartbeatTimeout {
            var heartbeat = self.heartbeat ?? Heartbeat()
            heartbeat.timeout = timeout
            self.heartbeat = heartbeat
        }
    }
}
