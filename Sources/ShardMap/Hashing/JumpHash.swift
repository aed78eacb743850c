/// Jump consistent hashing (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
/// 2014): maps a 64-bit key to one of `buckets` buckets so that growing from n to n + 1 buckets
/// moves only about 1/(n + 1) of the keys, all of them to the new bucket.
///
/// ```swift
/// JumpHash.bucket(key: FNV1a64.hash("user:42"), buckets: 3)   // 0, 1 or 2
/// ```
public enum JumpHash {
    /// The bucket, in `0..<buckets`, for a key.
    ///
    /// - Parameters:
    ///   - key: The key's 64-bit hash.
    ///   - buckets: How many buckets there are. Values below 1 count as 1 and values above
    ///     `Int32.max` as `Int32.max`, the algorithm's range.
    public static func bucket(key: UInt64, buckets: Int) -> Int {
        let count = Int64(min(max(buckets, 1), Int(Int32.max)))
        var key = key
        var bucket: Int64 = -1
        var next: Int64 = 0
        while next < count {
            bucket = next
            // A 64-bit linear congruential step, then a jump whose length is drawn from its top 31 bits.
            key = key &* 2_862_933_555_777_941_757 &+ 1
            next = Int64(Double(bucket + 1) * (Double(Int64(1) << 31) / Double((key >> 33) + 1)))
        }
        return Int(bucket)
    }
}
