import Corsair
import Foundation
import Testing
import ZeroMQ

/// Allow-list files: "#" is a Z85 digit, so keys containing it must be read whole, not cut short as
/// if a comment started there. Fixed keys, so the case is always exercised (random keys hold a "#"
/// only about a third of the time).
@Suite("CURVE allow-list files")
struct AllowListTests {
    @Test("keys containing # are read whole, with comments before and beside them")
    func keysWithHash() throws {
        let withHash = try #require(CurveKey(z85: "zbTklW!Nagx{(t)4(e1#/oRADOY6KqqTg$*0>Ya6"))
        let plain = try #require(CurveKey(z85: "w9TC9Aq)<Y){qGHQD4k3(]AV2]uI?a.PtcG-IsOQ"))
        let endsWithHash = try #require(CurveKey(z85: "w9TC9Aq)<Y){qGHQD4k3(]AV2]uI?a.PtcG-Is##"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("allow-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = """
            # clients
            \(withHash.z85)
            \(plain.z85)
            \(endsWithHash.z85) # after a space

            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let keys = try CurveKeyFile.readAllowList(at: path)
        #expect(keys == [withHash, plain, endsWithHash])
    }

    @Test("a line that is not a key is refused, naming the line")
    func badLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("allow-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("# ok\nnot-a-key\n".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try CurveKeyFile.readAllowList(at: path)
            Issue.record("a bad line was accepted")
        } catch {
            #expect(error.code == .invalidKeyFile)
            #expect(error.line == 2)
        }
    }
}
