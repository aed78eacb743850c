import Corsair
import Testing

/// ``CorsairServer/readiness``: not ready before binding, ready while serving, held by reasons,
/// not ready again once stopped.
@Suite("Server readiness")
struct ServerReadinessTests {
    @Test("starting before run, serving once bound, held while a hold lasts, stopped after run returns")
    func phasesAndHolds() async throws {
        let server = try CorsairServer(configuration: .init(endpoints: ["tcp://127.0.0.1:*"])) { request in
            ServerReply(request.body)
        }
        #expect(server.readiness.phase == .starting)
        #expect(!server.readiness.isReady)
        let early = server.holdReadiness("map not loaded")
        let running = Task { try await server.run() }
        _ = try await server.boundEndpoints
        #expect(server.readiness.phase == .serving)
        #expect(!server.readiness.isReady)
        #expect(server.readiness.summary == "held: map not loaded")
        let migration = server.holdReadiness("migration: slots 0-99")
        early.release()
        early.release()
        #expect(server.readiness.holds == ["migration: slots 0-99"])
        migration.release()
        #expect(server.readiness.isReady)
        #expect(server.readiness.summary == "ready")
        running.cancel()
        try? await running.value
        #expect(server.readiness.phase == .stopped)
        #expect(!server.readiness.isReady)
    }
}
