@testable import Corsair
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Server inbox")
struct ServerInboxTests {
    /// The signals waiting in the wake-up pipe, consumed.
    func pendingSignals(_ wakeup: Wakeup) -> Int {
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(wakeup.readDescriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return total }
            total += count
        }
    }

    func completion(_ jobID: UInt64) -> ServerInbox.Completion {
        ServerInbox.Completion(jobID: jobID, content: [[UInt8(jobID)]], status: .ok, duration: .zero)
    }

    @Test("completions signal once until the loop takes them; every one is taken, in order")
    func completionsCoalesce() throws {
        let inbox = ServerInbox(wakeup: try Wakeup())
        inbox.complete(self.completion(1))
        inbox.complete(self.completion(2))
        inbox.complete(self.completion(3))
        #expect(self.pendingSignals(inbox.wakeup) == 1)
        var taken: [ServerInbox.Completion] = []
        _ = inbox.take(into: &taken)
        #expect(taken.map(\.jobID) == [1, 2, 3])
        // Taken: the next completion must wake the loop again.
        taken.removeAll()
        inbox.complete(self.completion(4))
        #expect(self.pendingSignals(inbox.wakeup) == 1)
        inbox.complete(self.completion(5))
        #expect(self.pendingSignals(inbox.wakeup) == 0)
        _ = inbox.take(into: &taken)
        #expect(taken.map(\.jobID) == [4, 5])
    }

    @Test("after the loop has finished, completions are dropped without a signal")
    func finishedDrops() throws {
        let inbox = ServerInbox(wakeup: try Wakeup())
        inbox.finish(.success(()))
        inbox.complete(self.completion(1))
        #expect(self.pendingSignals(inbox.wakeup) == 0)
        var taken: [ServerInbox.Completion] = []
        _ = inbox.take(into: &taken)
        #expect(taken.isEmpty)
    }
}
