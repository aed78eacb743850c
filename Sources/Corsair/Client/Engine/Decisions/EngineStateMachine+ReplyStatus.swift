extension EngineStateMachine {
    /// What a reply's status means for the call it answers: success, a pushback to retry after,
    /// or a final error.
    ///
    /// Pure: the driver counts a pushback and reports it as an event from the value this returns,
    /// then hands the value to ``replied(_:_:guards:using:now:)``.
    ///
    /// - Parameters:
    ///   - header: The reply's header, already matched to the call by request id.
    ///   - attempts: The attempts the call has made so far, for the error's context.
    ///   - endpoint: The address the reply came from, for the error's context.
    package static func outcome(of header: ReplyHeader, attempts: Int, endpoint: String) -> ReplyOutcome {
        switch header.status {
        case .ok:
            return .ok
        case .overloaded:
            return .pushback(retryAfter: header.retryAfter, reason: "server overloaded", olderServerEpoch: nil)
        case .serverMapOlder:
            return .pushback(retryAfter: header.retryAfter, reason: "server map older (epoch \(header.epoch))", olderServerEpoch: header.epoch)
        case .moved:
            let target = header.movedTarget
            return .final(.moved(
                attempts: attempts,
                endpoint: endpoint,
                ownerShardID: target?.shardID,
                ownerEndpoint: target?.endpoint,
                serverEpoch: header.epoch
            ))
        case .wrongShard:
            return .final(.wrongShard(
                attempts: attempts,
                endpoint: endpoint,
                ownerEndpoint: header.detail.isEmpty ? nil : header.detail,
                serverEpoch: header.epoch
            ))
        case .deadlineExpired:
            return .final(.deadlineExpiredOnServer(attempts: attempts, endpoint: endpoint))
        case .handlerError:
            return .final(.handlerError(attempts: attempts, endpoint: endpoint, message: header.detail))
        case .badRequest:
            return .final(.badRequest(attempts: attempts, endpoint: endpoint, message: header.detail))
        }
    }
}
