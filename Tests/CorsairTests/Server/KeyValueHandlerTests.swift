import Corsair
import Testing

@Suite("Key-value handler")
struct KeyValueHandlerTests {
    @Test("GET, SET, INCR and DEL answer as documented")
    func commands() {
        let store = KeyValueHandler()
        #expect(store.execute("GET missing") == "")
        #expect(store.execute("SET greeting hello there") == "OK")
        #expect(store.execute("GET greeting") == "hello there")
        #expect(store.execute("INCR visits") == "1")
        #expect(store.execute("incr visits\n") == "2")
        #expect(store.execute("DEL greeting") == "OK")
        #expect(store.execute("GET greeting") == "")
        #expect(store.value(forKey: "visits") == "2")
    }

    @Test("mistakes answer ERR with the reason")
    func errors() {
        let store = KeyValueHandler()
        _ = store.execute("SET word hello")
        for command in ["", "FROB x", "GET", "INCR word", "GET a b", "INCR a b", "DEL a b"] {
            #expect(store.execute(command).hasPrefix("ERR "), "\(command)")
        }
        _ = store.execute("SET big 9223372036854775807")
        #expect(store.execute("INCR big").hasPrefix("ERR "))
    }

    @Test("it counts its own executions, per key and per increment")
    func records() async throws {
        let store = KeyValueHandler()
        for _ in 0..<3 {
            _ = try await store.handle(ServerRequest(body: [Array("INCR n".utf8)]))
        }
        _ = try await store.handle(ServerRequest(body: [Array("GET n".utf8)]))
        let reply = try await store.handle(ServerRequest(body: [[0xFF, 0xFE]]))
        #expect(reply.body == [Array("ERR command is not UTF-8 text".utf8)])
        #expect(store.executions == 5)
        #expect(store.executions(forKey: "n") == 4)
        #expect(store.increments(forKey: "n") == 3)
        #expect(store.increments(forKey: "other") == 0)
    }
}
