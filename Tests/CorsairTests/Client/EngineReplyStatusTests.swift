import Corsair
import Testing

/// Reply status → outcome, as a pure decision: no socket, no clock, no engine.
@Suite("Engine state machine: reply status")
struct EngineReplyStatusTests {
    static let endpoint = "tcp://127.0.0.1:5555"

    static func outcome(_ header: ReplyHeader, attempts: Int = 2) -> EngineStateMachine.ReplyOutcome {
        EngineStateMachine.outcome(of: header, attempts: attempts, endpoint: Self.endpoint)
    }

    static func finalError(_ header: ReplyHeader, attempts: Int = 2) -> CorsairError? {
        guard case .final(let error) = Self.outcome(header, attempts: attempts) else { return nil }
        return error
    }

    @Test func okSucceeds() {
        guard case .ok = Self.outcome(ReplyHeader(status: .ok, requestID: 1)) else {
            Issue.record("ok did not succeed")
            return
        }
    }

    @Test func overloadedIsAPushbackWithTheServersHint() {
        let header = ReplyHeader(status: .overloaded, requestID: 1, epoch: 4, retryAfter: .milliseconds(70))
        guard case .pushback(let retryAfter, let reason, let older) = Self.outcome(header) else {
            Issue.record("overloaded was not a pushback")
            return
        }
        #expect(retryAfter == .milliseconds(70))
        #expect(reason == "server overloaded")
        #expect(older == nil)
    }

    @Test func serverMapOlderIsAPushbackNamingTheServersEpoch() {
        let header = ReplyHeader(status: .serverMapOlder, requestID: 1, epoch: 9, retryAfter: .milliseconds(5))
        guard case .pushback(let retryAfter, let reason, let older) = Self.outcome(header) else {
            Issue.record("server map older was not a pushback")
            return
        }
        #expect(retryAfter == .milliseconds(5))
        #expect(reason == "server map older (epoch 9)")
        #expect(older == 9)
    }

    @Test func movedNamesTheOwnerWhenTheDetailIsWellFormed() throws {
        let header = ReplyHeader.moved(requestID: 1, epoch: 12, shardID: "s2", endpoint: "tcp://127.0.0.1:6000")
        let error = try #require(Self.finalError(header, attempts: 3))
        #expect(error.code == .moved)
        #expect(error.attempts == 3)
        #expect(error.endpoint == Self.endpoint)
        #expect(error.ownerShardID == "s2")
        #expect(error.ownerEndpoint == "tcp://127.0.0.1:6000")
        #expect(error.serverEpoch == 12)
    }

    @Test func movedWithAMalformedDetailNamesNoOwner() throws {
        let header = ReplyHeader(status: .moved, requestID: 1, epoch: 12, detail: "just-one-word")
        let error = try #require(Self.finalError(header))
        #expect(error.code == .moved)
        #expect(error.ownerShardID == nil)
        #expect(error.ownerEndpoint == nil)
        #expect(error.serverEpoch == 12)
    }

    @Test(arguments: [("", nil), ("tcp://127.0.0.1:7000", "tcp://127.0.0.1:7000")] as [(String, String?)])
    func wrongShardNamesTheOwnerOnlyWhenTheServerSaidIt(detail: String, owner: String?) throws {
        let header = ReplyHeader(status: .wrongShard, requestID: 1, epoch: 3, detail: detail)
        let error = try #require(Self.finalError(header))
        #expect(error.code == .wrongShard)
        #expect(error.ownerEndpoint == owner)
        #expect(error.serverEpoch == 3)
    }

    @Test func deadlineExpiredHandlerErrorAndBadRequestAreFinal() throws {
        let expired = try #require(Self.finalError(ReplyHeader(status: .deadlineExpired, requestID: 1)))
        #expect(expired.code == .deadlineExpiredOnServer)
        let handler = try #require(Self.finalError(ReplyHeader(status: .handlerError, requestID: 1, detail: "boom")))
        #expect(handler.code == .handlerError)
        #expect(handler.message.contains("boom"))
        let bad = try #require(Self.finalError(ReplyHeader(status: .badRequest, requestID: 1, detail: "no key")))
        #expect(bad.code == .badRequest)
        #expect(bad.message.contains("no key"))
    }

    /// Every status has a decision, and only the two pushback statuses retry.
    @Test(arguments: ReplyStatus.allCases)
    func everyStatusIsDecided(status: ReplyStatus) {
        switch Self.outcome(ReplyHeader(status: status, requestID: 1)) {
        case .ok:
            #expect(status == .ok)
        case .pushback:
            #expect(status == .overloaded || status == .serverMapOlder)
        case .final(let error):
            #expect(status != .ok && status != .overloaded && status != .serverMapOlder)
            #expect(error.attempts == 2)
        }
    }
}
