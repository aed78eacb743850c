/// Checks CURVE keys written as Z85 text, without the ZeroMQ module.
enum Z85Text {
    /// The Z85 alphabet (ZeroMQ RFC 32).
    static let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    /// Why `key` is not a 32-byte key in Z85 text (40 characters of the alphabet), or `nil` when it is.
    static func keyProblem(_ key: String) -> String? {
        let count = key.utf8.count
        guard count == 40 else {
            return "a CURVE public key is 40 characters of Z85 text; this one has \(count)"
        }
        if let bad = key.unicodeScalars.first(where: { !$0.isASCII || !Self.alphabet.contains(UInt8($0.value)) }) {
            return "a CURVE public key is Z85 text; \(TextQuote.quoted(String(bad))) is not in the Z85 alphabet"
        }
        return nil
    }
}
