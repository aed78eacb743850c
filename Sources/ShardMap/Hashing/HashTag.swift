/// Redis Cluster's hash-tag rule: when a key holds a `{`, a later `}` and at least one byte between
/// them, only those bytes are hashed, so that `{user1000}.following` and `{user1000}.followers`
/// land on the same shard.
enum HashTag {
    /// The part of `key` to hash: the bytes between the first `{` and the next `}` when there are
    /// any, otherwise the whole key.
    @inline(__always)
    static func hashedPart(of key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")) else { return key }
        let start = open + 1
        var end = start
        while end < key.endIndex {
            if key[end] == UInt8(ascii: "}") {
                return end > start ? UnsafeRawBufferPointer(rebasing: key[start..<end]) : key
            }
            end += 1
        }
        return key
    }

    /// The range of `key` to hash, for keys that are not stored contiguously.
    static func hashedRange<C: Collection<UInt8>>(of key: C) -> Range<C.Index> {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")) else { return key.startIndex..<key.endIndex }
        let start = key.index(after: open)
        guard let close = key[start...].firstIndex(of: UInt8(ascii: "}")), close > start else {
            return key.startIndex..<key.endIndex
        }
        return start..<close
    }
}
