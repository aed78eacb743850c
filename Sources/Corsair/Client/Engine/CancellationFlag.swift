import Synchronization

/// Set by a caller whose task was cancelled; read by the I/O thread when it admits the call, so a
/// cancellation that overtakes its own submission is not lost.
final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isCancelled: Bool { self.value.load(ordering: .acquiring) }

    func cancel() {
        self.value.store(true, ordering: .releasing)
    }
}
