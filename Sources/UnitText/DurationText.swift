/// Durations written as text in config files, on command lines, in logs and in error messages: a number and a unit, such as
/// `2500ms`, `2.5s`, `1m` or `1m30s`.
///
/// Units are `ns`, `us` (or `µs`), `ms`, `s`, `m` and `h`; numbers may have a fraction; several
/// number-unit pairs add up; a leading `-` makes the duration negative; a bare `0` is zero.
///
/// ```swift
/// DurationText.parse("2.5s")                       // .milliseconds(2500)
/// DurationText.format(.milliseconds(2500))         // "2500ms"
/// ```
public enum DurationText {
    /// The duration `text` spells, or `nil` when it is not a duration.
    public static func parse(_ text: some StringProtocol) -> Duration? {
        var scanner = Array(String(text).trimmingSpaces.utf8)[...]
        var negative = false
        if let sign = scanner.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            scanner = scanner.dropFirst()
        }
        if scanner.elementsEqual("0".utf8) {
            return .zero
        }
        guard !scanner.isEmpty else { return nil }

        var total: Int64 = 0
        while !scanner.isEmpty {
            let whole = scanner.prefix(while: Self.isDigit)
            scanner = scanner[whole.endIndex...]
            var fraction: ArraySlice<UInt8> = []
            if scanner.first == UInt8(ascii: ".") {
                fraction = scanner.dropFirst().prefix(while: Self.isDigit)
                scanner = scanner[fraction.endIndex...]
            }
            let unitName = scanner.prefix { !Self.isDigit($0) && $0 != UInt8(ascii: ".") }
            scanner = scanner[unitName.endIndex...]
            guard whole.count + fraction.count > 0,
                  let unit = Self.unit(named: String(decoding: unitName, as: UTF8.self)),
                  let wholeValue = whole.isEmpty ? 0 : Int64(String(decoding: whole, as: UTF8.self))
            else { return nil }
            let fractionValue = Double("0." + String(decoding: fraction, as: UTF8.self) + "0") ?? 0
            let (scaled, overflow) = wholeValue.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            let part = scaled.addingReportingOverflow(Int64((fractionValue * Double(unit)).rounded()))
            guard !part.overflow else { return nil }
            let sum = total.addingReportingOverflow(part.partialValue)
            guard !sum.overflow else { return nil }
            total = sum.partialValue
        }
        return .nanoseconds(negative ? -total : total)
    }

    /// Short text for a duration in the largest unit that shows it exactly: `2500ms`, `5s`, `1m`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Int128(seconds) * 1_000_000_000 + Int128(attoseconds / 1_000_000_000)
        guard nanoseconds != 0 else { return "0s" }
        for (unit, name) in Self.units.reversed() where nanoseconds % Int128(unit) == 0 {
            return "\(nanoseconds / Int128(unit))\(name)"
        }
        return "\(nanoseconds)ns"
    }

    /// Short text for a measured duration, rounded to three significant digits in the largest unit
    /// below it: `300ms` for 300,384,372 ns, `1.52s`, `45.3us`. For what was waited or taken, where
    /// ``format(_:)`` would spell out every nanosecond; the text still parses back (approximately).
    public static func approximate(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
        guard nanoseconds != 0 else { return "0s" }
        let magnitude = abs(nanoseconds)
        // Minutes and hours read worse with fractions: past a minute, seconds will do.
        let (unit, name) = Self.units.prefix(4).last { Double($0.0) <= magnitude } ?? Self.units[0]
        let value = nanoseconds / Double(unit)
        let places = abs(value) >= 100 ? 0 : abs(value) >= 10 ? 1 : 2
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = places == 0 ? "\(Int64(rounded))" : "\(rounded)"
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text + name
    }

    /// Each unit's length in nanoseconds, shortest first.
    private static let units: [(Int64, String)] = [
        (1, "ns"), (1_000, "us"), (1_000_000, "ms"), (1_000_000_000, "s"), (60_000_000_000, "m"),
        (3_600_000_000_000, "h"),
    ]

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// A unit's length in nanoseconds.
    private static func unit(named name: String) -> Int64? {
        switch name {
        case "ns": return 1
        case "us", "\u{00B5}s", "\u{03BC}s": return 1_000
        case "ms": return 1_000_000
        case "s": return 1_000_000_000
        case "m": return 60_000_000_000
        case "h": return 3_600_000_000_000
        default: return nil
        }
    }
}
