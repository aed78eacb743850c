import Corsair
import Testing

@Suite("CorsairError")
struct CorsairErrorTests {
    private let endpoint = "tcp://127.0.0.1:5555"

    @Test("abandoned reads exactly 'abandoned after N attempts: why'")
    func abandoned() {
        let error = CorsairError.abandoned(attempts: 3, endpoint: self.endpoint, lastFailure: "timed out after 2.5s")
        #expect(error.description == "abandoned after 3 attempts: timed out after 2.5s")
        #expect(error.code == .abandoned)
        #expect(error.attempts == 3)
        #expect(error.endpoint == self.endpoint)
        #expect(error.message == "timed out after 2.5s")
        #expect(
            CorsairError.abandoned(attempts: 1, endpoint: nil, lastFailure: "timed out after 250ms").description
                == "abandoned after 1 attempt: timed out after 250ms"
        )
    }

    @Test("descriptions are one line and carry the context")
    func descriptions() {
        let cases: [(CorsairError, String)] = [
            (
                .deadlineExceeded(attempts: 2, endpoint: self.endpoint, lastFailure: "waiting for a reply"),
                "deadline exceeded after 2 attempts to tcp://127.0.0.1:5555: waiting for a reply"
            ),
            (
                .circuitOpen(endpoint: self.endpoint, retryAfter: .milliseconds(1500)),
                "circuit open for tcp://127.0.0.1:5555; next probe in 1500ms"
            ),
            (.circuitOpen(endpoint: nil), "circuit open"),
            (
                .retryBudgetExhausted(attempts: 1, endpoint: self.endpoint, lastFailure: "timed out after 2.5s"),
                "retry budget exhausted for tcp://127.0.0.1:5555 after 1 attempt: timed out after 2.5s"
            ),
            (
                .overloaded(attempts: 3, endpoint: self.endpoint, retryAfter: .milliseconds(200)),
                "overloaded: tcp://127.0.0.1:5555 asked to retry after 200ms"
            ),
            (
                .wrongShard(attempts: 1, endpoint: self.endpoint, ownerEndpoint: nil, serverEpoch: 7),
                "wrong shard: tcp://127.0.0.1:5555 does not know the shard; server epoch 7"
            ),
            (
                .moved(attempts: 1, endpoint: self.endpoint, ownerShardID: "s1", ownerEndpoint: "tcp://10.0.0.2:5555", serverEpoch: 7),
                "moved: tcp://127.0.0.1:5555 says shard s1 at tcp://10.0.0.2:5555 owns the key under epoch 7"
            ),
            (
                .serverMapOlder(attempts: 2, endpoint: self.endpoint, serverEpoch: 3),
                "server map older: tcp://127.0.0.1:5555 is at epoch 3 after 2 attempts"
            ),
            (
                .redirectLoop(redirects: 3, endpoint: self.endpoint, message: "moved again"),
                "redirect loop after 3 redirects, last from tcp://127.0.0.1:5555: moved again"
            ),
            (
                .invalidRedirect(endpoint: self.endpoint, ownerShardID: "s9", ownerEndpoint: "tcp://x:1", message: "not in the map"),
                "invalid redirect from tcp://127.0.0.1:5555 to shard s9 at tcp://x:1: not in the map"
            ),
            (
                .deadlineExpiredOnServer(attempts: 1, endpoint: self.endpoint, message: "expired 3ms ago"),
                "deadline expired on server tcp://127.0.0.1:5555: expired 3ms ago"
            ),
            (
                .handlerError(attempts: 1, endpoint: self.endpoint, message: "division by zero\nat line 3"),
                "handler error from tcp://127.0.0.1:5555: division by zero at line 3"
            ),
            (
                .badRequest(attempts: 1, endpoint: nil, message: "empty key"),
                "bad request: empty key"
            ),
            (
                .protocolError(attempts: 1, endpoint: self.endpoint, message: "unknown status 9"),
                "protocol error from tcp://127.0.0.1:5555: unknown status 9"
            ),
            (
                .authenticationFailed(endpoint: self.endpoint, message: "server key rejected"),
                "authentication failed with tcp://127.0.0.1:5555: server key rejected"
            ),
            (.cancelled(attempts: 2, endpoint: self.endpoint), "cancelled after 2 attempts"),
            (.engineClosed(), "engine closed"),
            (
                .invalidEndpoint("tcp://nowhere", message: "no port", underlying: TestError()),
                "invalid endpoint 'tcp://nowhere': no port (test failure)"
            ),
            (
                .socketError(attempts: 1, endpoint: self.endpoint, operation: "send", underlying: TestError()),
                "socket error on tcp://127.0.0.1:5555: send (test failure)"
            ),
        ]
        for (error, expected) in cases {
            #expect(error.description == expected)
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("wrong shard and overloaded carry their extra fields")
    func extraFields() {
        let wrong = CorsairError.wrongShard(attempts: 1, endpoint: self.endpoint, ownerEndpoint: "tcp://b:1", serverEpoch: 9)
        #expect(wrong.ownerEndpoint == "tcp://b:1")
        #expect(wrong.serverEpoch == 9)
        let overloaded = CorsairError.overloaded(attempts: 2, endpoint: self.endpoint, retryAfter: .seconds(2))
        #expect(overloaded.retryAfter == .seconds(2))
        #expect(overloaded.description == "overloaded: tcp://127.0.0.1:5555 asked to retry after 2s")
    }

    @Test("equality and hashing use only the code")
    func equality() {
        let a = CorsairError.abandoned(attempts: 3, endpoint: "tcp://a:1", lastFailure: "x")
        let b = CorsairError.abandoned(attempts: 5, endpoint: "tcp://b:2", lastFailure: "y")
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != CorsairError.deadlineExceeded(attempts: 3, endpoint: "tcp://a:1"))
        #expect(Set([a, b, .engineClosed()]).count == 2)
    }

    @Test("codes describe themselves")
    func codes() {
        #expect(CorsairError.Code.abandoned.description == "abandoned")
        #expect(CorsairError.Code.retryBudgetExhausted.description == "retry budget exhausted")
        #expect(CorsairError.Code.wrongShard != .overloaded)
    }
}

private struct TestError: Error, CustomStringConvertible {
    var description: String { "test failure" }
}
