extension ShardMap {
    /// The slot a key hashes to, or `nil` with jump routing.
    ///
    /// With CRC-16 and 16384 slots this is Redis Cluster's key slot: `slot(forKey: "foo")` is 12182.
    public func slot(forKey key: String) -> Int? {
        var key = key
        return key.withUTF8 { self.slot(forBytes: UnsafeRawBufferPointer($0)) }
    }

    /// The slot a key hashes to, or `nil` with jump routing.
    public func slot(forKey key: Substring) -> Int? {
        var key = key
        return key.withUTF8 { self.slot(forBytes: UnsafeRawBufferPointer($0)) }
    }

    /// The slot a key hashes to, or `nil` with jump routing.
    @inlinable
    public func slot(forKey key: some StringProtocol) -> Int? {
        key.utf8.withContiguousStorageIfAvailable { self.slot(forBytes: UnsafeRawBufferPointer($0)) }
            ?? self.slot(forCollection: key.utf8)
    }

    /// The slot a binary key hashes to, or `nil` with jump routing.
    public func slot(forKey key: UnsafeRawBufferPointer) -> Int? {
        self.slot(forBytes: key)
    }

    /// The slot a binary key hashes to, or `nil` with jump routing.
    public func slot(forKey key: [UInt8]) -> Int? {
        key.withUnsafeBytes { self.slot(forBytes: $0) }
    }

    /// The slot a binary key, such as `Data`, hashes to, or `nil` with jump routing.
    @inlinable
    public func slot(forKey key: some Collection<UInt8>) -> Int? {
        key.withContiguousStorageIfAvailable { self.slot(forBytes: UnsafeRawBufferPointer($0)) }
            ?? self.slot(forCollection: key)
    }

    /// The position in ``shards`` of the shard that owns a key.
    public func shardIndex(forKey key: String) -> Int {
        var key = key
        return key.withUTF8 { self.shardIndex(forBytes: UnsafeRawBufferPointer($0)) }
    }

    /// The position in ``shards`` of the shard that owns a key.
    public func shardIndex(forKey key: Substring) -> Int {
        var key = key
        return key.withUTF8 { self.shardIndex(forBytes: UnsafeRawBufferPointer($0)) }
    }

    /// The position in ``shards`` of the shard that owns a key.
    @inlinable
    public func shardIndex(forKey key: some StringProtocol) -> Int {
        key.utf8.withContiguousStorageIfAvailable { self.shardIndex(forBytes: UnsafeRawBufferPointer($0)) }
            ?? self.shardIndex(forCollection: key.utf8)
    }

    /// The position in ``shards`` of the shard that owns a binary key.
    public func shardIndex(forKey key: UnsafeRawBufferPointer) -> Int {
        self.shardIndex(forBytes: key)
    }

    /// The position in ``shards`` of the shard that owns a binary key.
    public func shardIndex(forKey key: [UInt8]) -> Int {
        key.withUnsafeBytes { self.shardIndex(forBytes: $0) }
    }

    /// The position in ``shards`` of the shard that owns a binary key, such as `Data`.
    @inlinable
    public func shardIndex(forKey key: some Collection<UInt8>) -> Int {
        key.withContiguousStorageIfAvailable { self.shardIndex(forBytes: UnsafeRawBufferPointer($0)) }
            ?? self.shardIndex(forCollection: key)
    }

    /// The shard that owns a key.
    public func shard(forKey key: String) -> ShardInfo {
        self.shards[self.shardIndex(forKey: key)]
    }

    /// The shard that owns a key.
    public func shard(forKey key: Substring) -> ShardInfo {
        self.shards[self.shardIndex(forKey: key)]
    }

    /// The shard that owns a key.
    @inlinable
    public func shard(forKey key: some StringProtocol) -> ShardInfo {
        self.shards[self.shardIndex(forKey: key)]
    }

    /// The shard that owns a binary key.
    public func shard(forKey key: UnsafeRawBufferPointer) -> ShardInfo {
        self.shards[self.shardIndex(forBytes: key)]
    }

    /// The shard that owns a binary key.
    public func shard(forKey key: [UInt8]) -> ShardInfo {
        self.shards[self.shardIndex(forKey: key)]
    }

    /// The shard that owns a binary key, such as `Data`.
    @inlinable
    public func shard(forKey key: some Collection<UInt8>) -> ShardInfo {
        self.shards[self.shardIndex(forKey: key)]
    }
}
