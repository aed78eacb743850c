import Synchronization

/// The statistics the I/O thread publishes and anyone may read.
final class ServerStatisticsBox: Sendable {
    private let value = Mutex(CorsairServer.Statistics())

    var current: CorsairServer.Statistics {
        self.value.withLock { $0 }
    }

    func publish(_ statistics: CorsairServer.Statistics) {
        self.value.withLock { $0 = statistics }
    }
}
