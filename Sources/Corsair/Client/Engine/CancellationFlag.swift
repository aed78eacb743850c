import Synchronization

/// Set by a caller whose task was cancelled; read by the I/O thread when it admits the call, so a
/// cancellation that overtakes its own submission is not lost.
///
/// The caller hands the flag itself to the I/O thread to cancel, and the flag says where the
/// admitted call sits, so that finding it costs no lookup by request id.
final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)
    /// The call's slot in the engine's ``CallTable`` once admitted, -1 before. Atomic only to be
    /// Sendable: the I/O thread alone writes and reads it.
    private let admittedSlot = Atomic<Int32>(-1)

    var isCancelled: Bool { self.value.load(ordering: .acquiring) }

    func cancel() {
        self.value.store(true, ordering: .releasing)
    }

    /// The admitted call's slot, or `nil` before admission. I/O thread only.
    var slot: Int32? {
        get {
            let slot = self.admittedSlot.load(ordering: .relaxed)
            return slot < 0 ? nil : slot
        }
        set { self.admittedSlot.store(newValue ?? -1, ordering: .relaxed) }
    }
}
