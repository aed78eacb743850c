import Synchronization

/// The statistics the I/O thread publishes and anyone may read.
///
/// The I/O thread publishes after every turn of its loop, so publishing must not allocate: reply
/// counts travel as a fixed array, and the dictionary of ``CorsairServer/Statistics/replies`` is
/// built only when someone reads. (Publishing a struct holding the dictionary shared its storage,
/// and the next count then copied the whole dictionary: an allocation on every turn.)
final class ServerStatisticsBox: Sendable {
    /// Reply counts indexed by ``ReplyStatus`` raw value: room for eight statuses, eight today. A
    /// fixed array has no storage to share, so publishing it never leads to a copy.
    typealias ReplyCounts = InlineArray<8, Int>

    private let value = Mutex((statistics: CorsairServer.Statistics(), replies: ReplyCounts(repeating: 0)))

    var current: CorsairServer.Statistics {
        let (statistics, replies) = self.value.withLock { $0 }
        var result = statistics
        for status in ReplyStatus.allCases where replies[Int(status.rawValue)] > 0 {
            result.replies[status] = replies[Int(status.rawValue)]
        }
        return result
    }

    /// Publishes `statistics` (whose own `replies` stay empty) with the reply counts.
    func publish(_ statistics: CorsairServer.Statistics, replies: ReplyCounts) {
        self.value.withLock { $0 = (statistics, replies) }
    }
}
