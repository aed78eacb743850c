import Dispatch
import Foundation

struct TestFailure: Error, CustomStringConvertible {
    let description: String
}

/// Sets up sockets on a new thread, then times how long releasing them (and their context) takes
/// there.
///
/// - Returns: The release time, or `nil` when the release did not finish within `bound`; the
///   hung thread is then left behind so that the test fails instead of the suite hanging.
func timeRelease(bound: Duration, _ setUp: @escaping @Sendable () throws -> [AnyObject]) throws -> Duration? {
    let ready = DispatchSemaphore(value: 0)
    let proceed = DispatchSemaphore(value: 0)
    let released = DispatchSemaphore(value: 0)
    let failure = Box<String?>(nil)
    let thread = Thread {
        var kept: [AnyObject] = []
        do {
            kept = try setUp()
        } catch {
            failure.set("\(error)")
        }
        ready.signal()
        proceed.wait()
        kept.removeAll()
        released.signal()
    }
    thread.start()
    guard ready.wait(timeout: .now() + .seconds(5)) == .success else {
        throw TestFailure(description: "set-up did not finish")
    }
    if let failure = failure.get() {
        proceed.signal()
        throw TestFailure(description: "set-up failed: \(failure)")
    }
    let clock = ContinuousClock()
    let start = clock.now
    proceed.signal()
    guard released.wait(timeout: .now() + bound.dispatchInterval) == .success else { return nil }
    return clock.now - start
}
