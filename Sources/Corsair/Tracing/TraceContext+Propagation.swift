import Tracing

/// Writes a tracer's propagation fields into a request's ``TraceContext``.
struct TraceContextInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout TraceContext) {
        carrier[key] = value
    }
}

/// Reads a tracer's propagation fields from a received request's ``TraceContext``.
struct TraceContextExtractor: Extractor {
    func extract(key: String, from carrier: TraceContext) -> String? {
        carrier[key]
    }
}
