import CZeroMQ

/// The ZeroMQ socket types Corsair uses.
public enum SocketKind: Sendable, Hashable, CustomStringConvertible {
    case req
    case rep
    case dealer
    case router
    case pair
    case push
    case pull
    case pub
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
