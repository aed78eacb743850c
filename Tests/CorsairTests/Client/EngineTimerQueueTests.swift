@testable import Corsair
import PropertyBased
import Testing

@Suite("Engine timer queue and call table")
struct EngineTimerQueueTests {
    let start = ContinuousClock.now

    func timer(_ milliseconds: Int, _ sequence: UInt64, slot: Int32 = 0) -> EngineTimer {
        EngineTimer(deadline: self.start.advanced(by: .milliseconds(milliseconds)), sequence: sequence, slot: slot, kind: .attemptDeadline)
    }

    func drain(_ queue: inout EngineTimerQueue) -> [UInt64] {
        var order: [UInt64] = []
        while let timer = queue.removeMin() {
            order.append(timer.sequence)
        }
        return order
    }

    @Test("timers come out by deadline, then by the order they went in, whichever lane or heap holds them")
    func order() {
        var queue = EngineTimerQueue()
        // An ordered run, a far timer, timers earlier than every lane's tail, and equal deadlines.
        let deadlines = [10, 20, 30, 5000, 40, 15, 50, 3, 40, 1, 40, 2, 60]
        for (index, milliseconds) in deadlines.enumerated() {
            queue.insert(self.timer(milliseconds, UInt64(index + 1)))
        }
        #expect(queue.count == deadlines.count)
        let expected = deadlines.enumerated().sorted { ($0.element, $0.offset) < ($1.element, $1.offset) }.map { UInt64($0.offset + 1) }
        #expect(queue.min?.sequence == expected.first)
        #expect(self.drain(&queue) == expected)
        #expect(queue.isEmpty)
        #expect(queue.removeMin() == nil)
    }

    @Test("removeAll(where:) drops only what it is told to and keeps the order")
    func removeAll() {
        var queue = EngineTimerQueue()
        for sequence in 1...40 as ClosedRange<UInt64> {
            // Alternating near and far deadlines fill the lanes and the heap.
            queue.insert(self.timer(Int(sequence % 7) * 10 + (sequence.isMultiple(of: 2) ? 0 : 1000), sequence))
        }
        queue.removeAll { $0.sequence.isMultiple(of: 3) }
        #expect(queue.count == 40 - 13)
        // The earliest left are 14 and 28 (deadline 0), then 8 (deadline 10): dropping those two stops at 8.
        let first = queue.removeStale { $0.sequence == 14 || $0.sequence == 28 }
        #expect(first?.sequence == queue.min?.sequence)
        #expect(queue.count == 40 - 15)
        #expect(first?.sequence == 8)
        var order = [14, 28] as [UInt64]
        order += self.drain(&queue)
        #expect(!order.contains { $0.isMultiple(of: 3) })
        let deadlines = order.map { Int($0 % 7) * 10 + ($0.isMultiple(of: 2) ? 0 : 1000) }
        #expect(deadlines == deadlines.sorted())
    }

    @Test("property: any mix of inserts and removals yields what one sorted list would")
    func matchesSortedList() async {
        // Each step: insert (0–2) or remove the minimum (3), and a deadline offset; runs of
        // increasing deadlines are likely, as attempt timers make them.
        let steps = zip(Gen.int(in: 0...3), Gen.int(in: -50...200)).array(of: 1...300)
        await propertyCheck(count: 200, input: steps) { steps in
            var queue = EngineTimerQueue()
            var reference: [EngineTimer] = []
            var sequence: UInt64 = 0
            var clock = 0
            for (operation, offset) in steps {
                if operation < 3 {
                    sequence += 1
                    clock += operation == 0 ? 1 : 0
                    let timer = self.timer(clock + (operation == 2 ? offset : 100), sequence)
                    queue.insert(timer)
                    reference.append(timer)
                    reference.sort()
                } else {
                    #expect(queue.removeMin()?.sequence == reference.first?.sequence)
                    if !reference.isEmpty { reference.removeFirst() }
                }
                #expect(queue.count == reference.count)
                #expect(queue.min?.sequence == reference.first?.sequence)
            }
            #expect(self.drain(&queue) == reference.map(\.sequence))
        }
    }

    @Test("the call table reuses freed slots, finds calls by slot and forgets removed ones")
    func callTable() {
        let pool = EndpointPool(
            key: EndpointPool.Key(endpoint: Endpoint("tcp://127.0.0.1:1"), mode: .recreate),
            limit: 1,
            policy: RetryPolicy(),
            metricsPrefix: "test"
        )
        func call(_ requestID: UInt64) -> PendingCall {
            let submission = PendingCall.Submission(
                requestID: requestID,
                endpoint: pool.endpoint,
                body: [],
                policy: RetryPolicy(),
                options: RequestOptions(),
                submittedAt: .now,
                cancellation: nil
            ) { _ in }
            return PendingCall(submission, pool: pool)
        }
        var table = CallTable()
        let first = call(1)
        let second = call(2)
        table.insert(first)
        table.insert(second)
        #expect(table.count == 2)
        #expect(table[first.slot] === first)
        #expect(table[second.slot] === second)
        let freed = first.slot
        table.remove(first)
        #expect(first.slot == -1)
        #expect(table[freed] == nil)
        table.remove(first)
        #expect(table.count == 1)
        let third = call(3)
        table.insert(third)
        #expect(third.slot == freed)
        #expect(table.calls.map(\.requestID).sorted() == [2, 3])
        #expect(table[-1] == nil)
        #expect(table[99] == nil)
    }
}
