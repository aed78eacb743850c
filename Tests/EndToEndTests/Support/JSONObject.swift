import Foundation

/// A one-line JSON object printed by a command, read loosely so that added fields do not break tests.
struct JSONObject {
    let fields: [String: Any]

    init?(_ text: some StringProtocol) {
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        self.fields = object
    }

    /// The object in the last line of `output` that parses as one.
    init?(lastLineOf output: String, prefix: String = "") {
        for line in output.split(separator: "\n").reversed() where line.hasPrefix(prefix) {
            if let object = JSONObject(line.dropFirst(prefix.count)) {
                self = object
                return
            }
        }
        return nil
    }

    func int(_ key: String) -> Int? {
        (self.fields[key] as? NSNumber)?.intValue
    }

    func double(_ key: String) -> Double? {
        (self.fields[key] as? NSNumber)?.doubleValue
    }

    func object(_ key: String) -> JSONObject? {
        (self.fields[key] as? [String: Any]).map { JSONObject(fields: $0) }
    }

    init(fields: [String: Any]) {
        self.fields = fields
    }

    /// The counts of an object such as `errors`, keyed by their names with case, spaces, dashes and
    /// underscores taken out, so "circuit open", "circuit_open" and "circuitOpen" all read "circuitopen".
    func normalizedCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for (key, value) in self.fields {
            let name = String(key.lowercased().filter { $0.isLetter })
            counts[name, default: 0] += (value as? NSNumber)?.intValue ?? 0
        }
        return counts
    }
}
