import Foundation

/// A `--metrics-bind` value: `HOST:PORT`, an IPv4 address (`127.0.0.1:9464`, `0.0.0.0:9464`) or
/// `localhost`; port 0 asks the kernel for a free one (the bound port is logged and printed).
struct MetricsAddress: Sendable, Equatable, CustomStringConvertible {
    var host: String
    var port: UInt16

    /// Parses `text`; `nil` when it is not `HOST:PORT` with an IPv4 host and a port 0–65535.
    static func parse(_ text: String) -> MetricsAddress? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        guard let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        if host == "localhost" { host = "127.0.0.1" }
        var address = in_addr()
        guard !host.isEmpty, inet_pton(AF_INET, host, &address) == 1 else { return nil }
        return MetricsAddress(host: host, port: port)
    }

    var description: String { "\(self.host):\(self.port)" }
}
