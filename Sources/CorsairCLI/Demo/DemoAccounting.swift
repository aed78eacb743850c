import Corsair

/// The demo's check of the servers' records against what the client saw.
///
/// For each key, the store counts the INCRs it applied. A request that succeeded was executed; a
/// request that failed with a typed error, or was lost, may or may not have been, so the shard's
/// request log (which records every execution by client id and request id) is asked. Then
///
///     applied(key) = executed requests(key) + duplicated(key)
///
/// and ``duplicated`` is the sum over keys of the executions beyond one per request. Applied INCRs
/// fewer than the requests known executed would mean a reply for work never done; that is
/// counted as ``unexplained``, and fails the demo too.
struct DemoAccounting: Sendable {
    /// INCRs the stores applied.
    var applied = 0
    /// Requests that succeeded.
    var succeeded = 0
    /// Requests that failed (or were lost) but that the request log shows were executed.
    var failedButExecuted = 0
    /// Executions beyond one per request.
    var duplicated = 0
    /// Executed requests the stores have no increment for.
    var unexplained = 0
    /// Handler calls for requests already executed (after a kill, the replay cache is empty).
    var repeatedCalls = 0

    init(records: [TrackedRequest.Record], cluster: DemoCluster, clientID: ClientID) {
        var executedByKey: [String: Int] = [:]
        for record in records {
            switch record.ending {
            case .reply:
                self.succeeded += 1
                executedByKey[record.key, default: 0] += 1
            case .error, .noAnswer:
                let executed = record.probe.requestIDs.contains { requestID in
                    let key = RequestLog.Key(clientID: clientID, requestID: requestID)
                    return cluster.shards.contains { $0.log.executed(key) }
                }
                if executed {
                    self.failedButExecuted += 1
                    executedByKey[record.key, default: 0] += 1
                }
            }
        }
        let keys = Set(records.map(\.key))
        for key in keys {
            let applied = cluster.shards.reduce(0) { $0 + $1.store.increments(forKey: key) }
            let executed = executedByKey[key] ?? 0
            self.applied += applied
            self.duplicated += max(0, applied - executed)
            self.unexplained += max(0, executed - applied)
        }
        self.repeatedCalls = cluster.shards.reduce(0) { $0 + $1.log.repeats }
    }
}
