import Corsair
import Testing

@Suite("Error codes' names")
struct CorsairErrorCodeTests {
    static let codes: [CorsairError.Code] = [
        .abandoned, .deadlineExceeded, .circuitOpen, .retryBudgetExhausted, .overloaded, .wrongShard,
        .deadlineExpiredOnServer, .handlerError, .badRequest, .protocolError, .authenticationFailed, .cancelled,
        .engineClosed, .invalidEndpoint, .socketError, .invalidConfiguration, .moved, .serverMapOlder,
        .redirectLoop, .invalidRedirect,
    ]

    @Test("every code has a distinct snake_case name, its description with underscores (metric labels, load's JSON keys)")
    func names() {
        for code in Self.codes {
            #expect(code.name.allSatisfy { $0.isLowercase || $0 == "_" }, "\(code.name)")
            #expect(String(code.name.map { $0 == "_" ? " " : $0 }) == code.description)
        }
        #expect(Set(Self.codes.map(\.name)).count == Self.codes.count)
        #expect(CorsairError.Code.circuitOpen.name == "circuit_open")
        #expect(CorsairError.Code.serverMapOlder.name == "server_map_older")
    }
}
