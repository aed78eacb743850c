import UnitText

/// Checks the endpoint text a shard lists, so that a typo fails when the file loads rather than
/// when a client first connects.
enum EndpointText {
    /// Why `endpoint` is not a `tcp://host:port`, `ipc://path` or `inproc://name` address, or `nil` when it is.
    static func problem(with endpoint: String) -> String? {
        if endpoint.isEmpty {
            return "the endpoint is empty; write tcp://host:port, ipc://path or inproc://name"
        }
        if endpoint.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            return "endpoint \(TextQuote.quoted(endpoint)) contains spaces or control characters"
        }
        guard let schemeEnd = endpoint.firstRange(of: "://") else {
            return "endpoint \(TextQuote.quoted(endpoint)) has no transport; write tcp://host:port, ipc://path or inproc://name"
        }
        let scheme = endpoint[..<schemeEnd.lowerBound]
        let address = endpoint[schemeEnd.upperBound...]
        switch scheme {
        case "tcp":
            return Self.tcpProblem(address: address, endpoint: endpoint)
        case "ipc", "inproc":
            return address.isEmpty ? "endpoint \(TextQuote.quoted(endpoint)) has no \(scheme == "ipc" ? "path" : "name")" : nil
        default:
            let transport = TextQuote.quoted(String(scheme))
            return "endpoint \(TextQuote.quoted(endpoint)) uses transport \(transport); use tcp, ipc or inproc"
        }
    }

    private static func tcpProblem(address: Substring, endpoint: String) -> String? {
        guard let colon = address.lastIndex(of: ":") else {
            return "endpoint \(TextQuote.quoted(endpoint)) has no port; write tcp://host:port"
        }
        let host = address[..<colon]
        let port = address[address.index(after: colon)...]
        guard let number = Int(port), (1...65535).contains(number), port.allSatisfy(\.isASCIIDigit) else {
            return "endpoint \(TextQuote.quoted(endpoint)) has port \(TextQuote.quoted(String(port))); a port is a number from 1 to 65535"
        }
        if host.isEmpty {
            return "endpoint \(TextQuote.quoted(endpoint)) has no host; write tcp://host:port"
        }
        if host == "*" {
            return "endpoint \(TextQuote.quoted(endpoint)) has the wildcard host *; clients need an address they can connect to"
        }
        if host.hasPrefix("[") {
            let inner = host.dropFirst()
            guard inner.hasSuffix("]"), inner.count > 1,
                  inner.dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "%" || $0.isLetter || $0.isASCIIDigit })
            else {
                return "endpoint \(TextQuote.quoted(endpoint)) has a malformed IPv6 host; write tcp://[::1]:5555"
            }
            return nil
        }
        // A hostname, an IPv4 address or a network interface name.
        let allowed = host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }
        guard allowed, !host.hasPrefix("."), !host.hasSuffix("."), !host.contains("..") else {
            let name = TextQuote.quoted(String(host))
            return "endpoint \(TextQuote.quoted(endpoint)) has host \(name), which is not a hostname or an IP address"
        }
        return nil
    }
}
