import CZeroMQ

/// The ZeroMQ socket types Corsair uses.
public enum SocketKind: Sendable, Hashable, CustomStringConvertible {
    /// Sends a request, then must receive its reply before sending again: Corsair's client side.
    case req
    /// Receives a request, then must send its reply before receiving again.
    case rep
    /// Sends and receives freely, load-balancing sends across its peers: an asynchronous REQ.
    case dealer
    /// Prefixes each received message with its sender's routing id and routes each sent message by
    /// its first frame: Corsair's server side, where many clients fan in.
    case router
    /// One exclusive peer in each direction, as for a wake-up signal between two threads.
    case pair
    /// Sends messages round-robin to the PULL sockets connected to it.
    case push
    /// Receives messages fairly from the PUSH sockets connected to it.
    case pull
    /// Sends every message to every subscriber whose subscription prefixes it.
    case pub
    /// Receives the messages of the publishers it connects to that match its subscriptions.
    case sub

    var rawValue: Int32 {
        switch self {
        case .req: return ZMQ_REQ
        case .rep: return ZMQ_REP
        case .dealer: return ZMQ_DEALER
        case .router: return ZMQ_ROUTER
        case .pair: return ZMQ_PAIR
        case .push: return ZMQ_PUSH
        case .pull: return ZMQ_PULL
        case .pub: return ZMQ_PUB
        case .sub: return ZMQ_SUB
        }
    }

    /// The type's name as libzmq's documentation writes it, such as `ROUTER`.
    public var description: String {
        switch self {
        case .req: return "REQ"
        case .rep: return "REP"
        case .dealer: return "DEALER"
        case .router: return "ROUTER"
        case .pair: return "PAIR"
        case .push: return "PUSH"
        case .pull: return "PULL"
        case .pub: return "PUB"
        case .sub: return "SUB"
        }
    }
}
