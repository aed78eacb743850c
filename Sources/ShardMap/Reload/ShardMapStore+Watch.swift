extension ShardMapStore {
    /// Polls the file and reloads it when its content changes, until the task is cancelled.
    ///
    /// A change is acted on once the same new content has been seen on two polls in a row, so a
    /// file caught half-written is not judged; a reload therefore lands one to two intervals after
    /// the write. A bad file is logged once, not on every poll, and the last good map stays.
    ///
    /// ```swift
    /// let watcher = Task { await store.watch() }
    /// // ...
    /// watcher.cancel()
    /// ```
    ///
    /// - Parameter interval: How often to read the file.
    public func watch(interval: Duration = .milliseconds(500)) async {
        await self.watch(interval: interval, clock: ContinuousClock())
    }

    /// Polls the file on a given clock and reloads it when its content changes, until the task is cancelled.
    ///
    /// - Parameters:
    ///   - interval: How often to read the file.
    ///   - clock: The clock the polls sleep on.
    public func watch<C: Clock>(interval: Duration, clock: C) async where C.Duration == Duration {
        guard let path = self.path else { return }
        var pending: UInt64?
        var unreadable: ShardMapError.Code?
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: interval)
            } catch {
                return
            }
            let bytes: [UInt8]
            do {
                bytes = try ConfigFile.read(path)
                unreadable = nil
            } catch {
                // An editor that saves by rename leaves the file missing for a moment; say so once.
                if unreadable != error.code {
                    self.logUnreadable(error)
                }
                unreadable = error.code
                pending = nil
                continue
            }
            let hash = FNV1a64.hash(bytes)
            guard !self.isKnown(hash) else {
                pending = nil
                continue
            }
            guard pending == hash else {
                pending = hash
                continue
            }
            pending = nil
            // Parsed off the cooperative pool. A refusal has been logged; the watcher carries on
            // with the last good map.
            _ = await BigStackThread.run { try? self.apply(bytes, hash: hash) }
        }
    }
}
