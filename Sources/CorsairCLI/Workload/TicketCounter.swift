import Synchronization

/// Hands out 0, 1, 2… to concurrent workers, each number once.
final class TicketCounter: Sendable {
    private let next = Atomic<Int>(0)

    /// The next number.
    func take() -> Int {
        self.next.wrappingAdd(1, ordering: .relaxed).oldValue
    }
}
