import ArgumentParser

/// The operator's flags every long-running command shares: where to serve metrics and health,
/// and how to write log lines. One definition, so `serve` and `load` spell and check them alike.
struct OperationsOptions: ParsableArguments {
    @Option(
        name: .customLong("metrics-bind"),
        help: ArgumentHelp(
            "While the command runs, serve Prometheus /metrics, /healthz and /readyz on this address, such as 127.0.0.1:9464 (port 0: any free one).",
            valueName: "host:port"
        )
    )
    var metricsBind: String?

    @Option(name: .customLong("log-format"), help: ArgumentHelp("Log lines on stderr as text or as JSON objects, one a line.", valueName: "text|json"))
    var logFormat: LogFormat = .text

    /// The parsed `--metrics-bind`, or `nil` when it was not given (``validate()`` refused a bad one).
    var metricsAddress: MetricsAddress? {
        self.metricsBind.flatMap(MetricsAddress.parse)
    }

    func validate() throws {
        if let bind = self.metricsBind, MetricsAddress.parse(bind) == nil {
            throw ValidationError("--metrics-bind must be HOST:PORT with an IPv4 host, such as 127.0.0.1:9464")
        }
    }
}
