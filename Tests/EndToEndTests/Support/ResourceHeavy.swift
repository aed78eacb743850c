import Testing

/// The end-to-end suites that keep both cores of a small machine busy for seconds (process chaos,
/// network namespaces, the malformed flood, the reconnect storm), run one after another rather than
/// at once, so that tests with timing bounds running alongside them are not starved.
@Suite("Resource-heavy end-to-end suites, one at a time", .serialized)
enum ResourceHeavy {}
