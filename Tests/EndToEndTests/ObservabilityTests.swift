import Foundation
import Testing

/// `corsair serve --metrics-bind`: /metrics counts exactly the requests a `corsair load` sent,
/// /readyz follows the server, and bad addresses fail before anything starts.
@Suite("observability (end to end)")
struct ObservabilityTests {
    @Test("/metrics counts the requests a load sent, and /readyz and /healthz answer 200 while serving")
    func metricsCountLoad() async throws {
        let server = try ChildProcess("corsair", ["serve", "--bind", "tcp://127.0.0.1:*", "--metrics-bind", "127.0.0.1:0"])
        let metricsLine = try #require(await server.waitForLine(prefix: "metrics "))
        let listening = try #require(await server.waitForLine(prefix: "listening "))
        let address = String(metricsLine.dropFirst("metrics ".count))
        let endpoint = String(listening.dropFirst("listening ".count))
        #expect(try HTTPProbe.get(address, "/healthz").status == 200)
        #expect(try HTTPProbe.get(address, "/readyz").status == 200)
        let before = try HTTPProbe.get(address, "/metrics").body
        #expect(before.contains("# TYPE corsair_server_requests_total counter"))
        #expect(before.contains("process_resident_memory_bytes"))
        let okBefore = HTTPProbe.value(of: "corsair_server_requests_total{status=\"ok\"}", in: before) ?? 0
        let load = try await ChildProcess.run("corsair", ["load", "--endpoint", endpoint, "--op", "echo", "--requests", "250", "--json"])
        #expect(load.status == 0, "\(load.stderr)")
        let after = try HTTPProbe.get(address, "/metrics").body
        #expect(HTTPProbe.value(of: "corsair_server_requests_total{status=\"ok\"}", in: after) == okBefore + 250)
        server.signal(SIGTERM)
        #expect(await server.waitForExit(timeout: .seconds(20)) == 0)
    }

    @Test("--log-format json: every log line is a JSON object with timestamp, level, label, message and metadata")
    func jsonLogLines() async throws {
        let server = try ChildProcess("corsair", ["serve", "--bind", "tcp://127.0.0.1:*", "--metrics-bind", "127.0.0.1:0", "--log-format", "json"])
        _ = try #require(await server.waitForLine(prefix: "listening "))
        #expect(await server.waitForLine(prefix: "{", inStderr: true) != nil)
        server.signal(SIGTERM)
        #expect(await server.waitForExit(timeout: .seconds(20)) == 0)
        let lines = server.stderr.split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            for key in ["timestamp", "level", "label", "message", "metadata"] {
                #expect(object[key] != nil, "\(key) missing in \(line)")
            }
        }
        #expect(server.stderr.contains("\"message\":\"metrics listening\""))
    }

    @Test("a malformed --metrics-bind is one error: line and exit 2")
    func malformedAddress() async throws {
        let result = try await ChildProcess.run("corsair", ["serve", "--bind", "tcp://127.0.0.1:*", "--metrics-bind", "no-port"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(!result.stdout.contains("listening"))
    }

    @Test("a --metrics-bind address in use is one error: line and exit 2, with no endpoint bound")
    func addressInUse() async throws {
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(holder, raw, length) == 0, listen(holder, 1) == 0, getsockname(holder, raw, &length) == 0 else {
                    throw POSIXError(.EADDRINUSE)
                }
            }
        }
        let port = UInt16(bigEndian: address.sin_port)
        let result = try await ChildProcess.run("corsair", ["serve", "--bind", "tcp://127.0.0.1:*", "--metrics-bind", "127.0.0.1:\(port)"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("error: --metrics-bind 127.0.0.1:\(port)"), "\(result.stderr)")
        #expect(result.stdout.isEmpty, "nothing half-started: \(result.stdout)")
    }
}

/// A blocking HTTP/1.1 GET over loopback, enough for probes; every wait bounded by SO_RCVTIMEO.
enum HTTPProbe {
    struct Failure: Error {}

    static func get(_ address: String, _ path: String) throws -> (status: Int, body: String) {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw Failure() }
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure() }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        target.sin_addr.s_addr = inet_addr(String(parts[0]))
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure() }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(address)\r\nConnection: close\r\n\r\n".utf8)
        guard send(descriptor, request, request.count, 0) == request.count else { throw Failure() }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let head = text.range(of: "\r\n\r\n"), let status = Int(text.split(separator: " ").dropFirst().first ?? "") else { throw Failure() }
        return (status, String(text[head.upperBound...]))
    }

    /// The value of the sample line `name value` in a Prometheus text exposition.
    static func value(of name: String, in exposition: String) -> Int? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1)).map { Int($0) }
        }
        return nil
    }
}
