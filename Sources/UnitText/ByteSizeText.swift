/// Byte counts written as text in config files and on command lines: a plain number of bytes, or
/// a number and a unit, such as `16MiB`, `512KiB` or `1.5GiB`.
///
/// Binary units are `KiB`, `MiB`, `GiB` and `TiB` (powers of 1024); decimal units are `kB` (or
/// `KB`), `MB`, `GB` and `TB` (powers of 1000); `B` is one byte. Fractions round down to whole bytes.
///
/// ```swift
/// ByteSizeText.parse("16MiB")      // 16777216
/// ByteSizeText.format(16 << 20)    // "16MiB"
/// ```
public enum ByteSizeText {
    /// The byte count `text` spells, or `nil` when it is not a byte count, is negative or overflows `Int`.
    public static func parse(_ text: some StringProtocol) -> Int? {
        let trimmed = String(text).trimmingSpaces
        let isNumeric: (UInt8) -> Bool = { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") }
        let numberEnd = trimmed.utf8.firstIndex { !isNumeric($0) } ?? trimmed.utf8.endIndex
        let number = String(trimmed[..<numberEnd])
        let unitName = String(trimmed[numberEnd...]).trimmingSpaces
        guard let multiplier = Self.multiplier(unitName) else { return nil }
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !number.isEmpty, number != "." else { return nil }
        guard let whole = parts[0].isEmpty ? 0 : Int(parts[0]) else { return nil }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        guard parts.count == 2 else { return scaled }
        guard parts[1].isEmpty || parts[1].allSatisfy(\.isASCIIDigit),
              let fraction = Double("0." + parts[1] + "0")
        else { return nil }
        let (total, overflowTotal) = scaled.addingReportingOverflow(Int((fraction * Double(multiplier)).rounded(.down)))
        return overflowTotal ? nil : total
    }

    /// Short text for a byte count in the largest binary unit that shows it exactly: `16MiB`, `1000`.
    public static func format(_ bytes: Int) -> String {
        for (name, multiplier) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes != 0 && bytes % multiplier == 0 {
            return "\(bytes / multiplier)\(name)"
        }
        return "\(bytes)"
    }

    private static func multiplier(_ unit: String) -> Int? {
        switch unit {
        case "", "B": return 1
        case "KiB": return 1 << 10
        case "MiB": return 1 << 20
        case "GiB": return 1 << 30
        case "TiB": return 1 << 40
        case "kB", "KB": return 1_000
        case "MB": return 1_000_000
        case "GB": return 1_000_000_000
        case "TB": return 1_000_000_000_000
        default: return nil
        }
    }
}
