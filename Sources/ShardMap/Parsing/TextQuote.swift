/// Quotes text from a config file for an error message: bounded length, control characters escaped,
/// so that binary junk cannot garble a terminal or a log line.
enum TextQuote {
    static func quoted(_ text: String, limit: Int = 60) -> String {
        "\"" + self.escaped(text, limit: limit, quotes: true) + "\""
    }

    /// The text on one line, without quotes: control and format characters escaped as in
    /// ``quoted(_:limit:)``, cut at `limit` characters. For key paths, which take keys from the
    /// file as they are (a YAML key may hold a line break).
    static func oneLine(_ text: String, limit: Int = 200) -> String {
        self.escaped(text, limit: limit, quotes: false)
    }

    private static func escaped(_ text: String, limit: Int, quotes: Bool) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                result += "..."
                break
            }
            switch scalar {
            case "\"" where quotes: result += "\\\""
            case "\\" where quotes: result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
                    || scalar.properties.generalCategory == .format || scalar.value == 0xFFFD
                {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
            count += 1
        }
        return result
    }
}
