extension String {
    /// The string without leading or trailing spaces and tabs.
    package var trimmingSpaces: String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = self.firstIndex(where: { !isBlank($0) }),
              let last = self.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return String(self[first...last])
    }
}

extension Character {
    package var isASCIIDigit: Bool {
        self >= "0" && self <= "9"
    }
}
