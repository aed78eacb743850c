import CZeroMQ

/// What a poll waits for on a socket or file descriptor, and what it found.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16

    public init(rawValue: Int16) {
        self.rawValue = rawValue
    }

    /// A message can be received (a descriptor is readable).
    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// A message can be sent (a descriptor is writable).
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
    /// A descriptor has an error. Never set for sockets.
    public static let error = PollEvents(rawValue: Int16(ZMQ_POLLERR))
}
