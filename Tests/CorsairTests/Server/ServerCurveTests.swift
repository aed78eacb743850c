import Corsair
import Foundation
import Testing
import ZeroMQ

@Suite("Server CURVE", .enabled(if: ZMQ.has("curve")))
struct ServerCurveTests {
    private func isAuthenticationFailure(_ error: any Error) -> Bool {
        (error as? CorsairError)?.code == .authenticationFailed
    }

    @Test("an allowed key is served; an unknown key and a plaintext client are refused with an authentication error")
    func allowList() async throws {
        let serverKeys = try CurveKeyPair.generate()
        let allowed = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let runs = Tally()
        let configuration = serverConfiguration {
            $0.curve = CurveServerSecurity(secretKey: serverKeys.secretKey, allowedClientKeys: [allowed.publicKey])
        }
        let handler = ClosureRequestHandler { request in
            runs.increment()
            return ServerReply(request.body)
        }
        try await withServer(configuration, handler: handler) { server, address in
            #expect(server.curvePublicKey == serverKeys.publicKey)
            let secure = Endpoint(address, serverPublicKey: serverKeys.publicKey)
            // Generous attempts: without the handshake check, a refused client would only time out.
            let policy = testPolicy(attempts: 1, timeout: .seconds(30))

            let friend = try ClientEngine(configuration: .init(retry: policy, curveKeyPair: allowed))
            #expect(try await friend.request(bytes("hello"), to: secure).bytes == bytes("hello"))
            #expect(runs.count == 1)
            await friend.shutdown()

            let unknown = try ClientEngine(configuration: .init(retry: policy, curveKeyPair: stranger))
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(performing: {
                _ = try await unknown.request(bytes("let me in"), to: secure)
            }, throws: self.isAuthenticationFailure)
            #expect(start.duration(to: clock.now) < .seconds(15), "reported by the handshake, not by a timeout")
            await unknown.shutdown()

            let plaintext = try ClientEngine(configuration: .init(retry: policy))
            let plainStart = clock.now
            await #expect(performing: {
                _ = try await plaintext.request(bytes("in the clear"), to: Endpoint(address))
            }, throws: self.isAuthenticationFailure)
            #expect(plainStart.duration(to: clock.now) < .seconds(15), "reported by the handshake, not by a timeout")
            await plaintext.shutdown()

            #expect(runs.count == 1, "a refused client reached the handler")
            #expect(server.statistics.authenticationRefusals >= 1)
        }
    }

    @Test("without an allow-list any client that knows the server key is served")
    func encryptionOnly() async throws {
        let serverKeys = try CurveKeyPair.generate()
        let configuration = serverConfiguration { $0.curve = CurveServerSecurity(secretKey: serverKeys.secretKey) }
        try await withServer(configuration, handler: EchoHandler()) { _, address in
            let engine = try patientEngine()
            let reply = try await engine.request(bytes("anyone"), to: Endpoint(address, serverPublicKey: serverKeys.publicKey))
            #expect(reply.bytes == bytes("anyone"))
            await engine.shutdown()
        }
    }

    /// A fresh folder holding a new keypair written as `server.pub` and `server.key`.
    private static func keyFilesInScratchDirectory() throws -> (
        directory: URL, prefix: String, keys: CurveKeyPair, paths: (publicKeyPath: String, secretKeyPath: String)
    ) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let prefix = directory.appendingPathComponent("server").path
        let keys = try CurveKeyPair.generate()
        return (directory, prefix, keys, try CurveKeyFile.write(keys, prefix: prefix))
    }

    @Test("key files: written with safe modes, read back, and a loose secret key file is refused")
    func keyFiles() throws {
        let (directory, prefix, keys, paths) = try Self.keyFilesInScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(paths.publicKeyPath == prefix + ".pub")
        #expect(paths.secretKeyPath == prefix + ".key")
        let secretMode = try FileManager.default.attributesOfItem(atPath: paths.secretKeyPath)[.posixPermissions] as? Int
        #expect(secretMode == 0o600)
        #expect(try CurveKeyFile.readSecretKey(at: paths.secretKeyPath) == keys.secretKey)
        #expect(try CurveKeyFile.readPublicKey(at: paths.publicKeyPath) == keys.publicKey)
        let security = try CurveServerSecurity.load(secretKeyFile: paths.secretKeyPath)
        #expect(try security.publicKey() == keys.publicKey)
        #expect(security.allowedClientKeys == nil)

        #expect(performing: { try CurveKeyFile.write(keys, prefix: prefix) }, throws: { error in
            (error as? CorsairServerError)?.code == .keyFileExists
        })

        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: paths.secretKeyPath)
        #expect(performing: { try CurveKeyFile.readSecretKey(at: paths.secretKeyPath) }, throws: { error in
            guard let error = error as? CorsairServerError else { return false }
            return error.code == .keyFileInsecure && error.path == paths.secretKeyPath && "\(error)".contains(paths.secretKeyPath)
        })
        #expect(performing: { try CurveKeyFile.readSecretKey(at: prefix + ".missing") }, throws: { error in
            (error as? CorsairServerError)?.code == .keyFileUnreadable
        })
        // An overwrite puts the mode right again.
        try CurveKeyFile.write(keys, prefix: prefix, overwrite: true)
        #expect(try CurveKeyFile.readSecretKey(at: paths.secretKeyPath) == keys.secretKey)
    }

    @Test("the public half of a pair given as a secret key is refused, decided from the pair's keys")
    func publicKeyAsSecretKey() throws {
        let (directory, prefix, keys, paths) = try Self.keyFilesInScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Private or not, the public key is refused as what it is, not for its mode.
        for mode in [0o644, 0o600] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: paths.publicKeyPath)
            #expect(performing: { try CurveKeyFile.readSecretKey(at: paths.publicKeyPath) }, throws: { error in
                guard let error = error as? CorsairServerError else { return false }
                return error.code == .wrongKeyHalf && error.path == paths.secretKeyPath
            })
        }
        // Beside another pair's secret key, a public key is not recognised: nothing says it is one.
        let other = try CurveKeyPair.generate()
        try CurveKeyFile.write(other, prefix: prefix, overwrite: true)
        try CurveKeyFile.write(CurveKeyPair(publicKey: keys.publicKey, secretKey: keys.publicKey), prefix: prefix + "-lone")
        #expect(try CurveKeyFile.readSecretKey(at: paths.secretKeyPath) == other.secretKey)
        #expect(try CurveKeyFile.readSecretKey(at: prefix + "-lone.key") == keys.publicKey)
    }

    @Test("allow-lists: one key per line, comments and blank lines ignored, a bad line named")
    func allowListFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-allow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try CurveKeyPair.generate().publicKey
        let second = try CurveKeyPair.generate().publicKey
        let good = directory.appendingPathComponent("good.txt").path
        try "# clients\n\n\(first.z85)\n   \(second.z85)  # the batch host\n".write(toFile: good, atomically: true, encoding: .utf8)
        #expect(try CurveKeyFile.readAllowList(at: good) == [first, second])

        let bad = directory.appendingPathComponent("bad.txt").path
        try "\(first.z85)\n# fine\nnot-a-key\n".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(performing: { try CurveKeyFile.readAllowList(at: bad) }, throws: { error in
            guard let error = error as? CorsairServerError else { return false }
            return error.code == .invalidKeyFile && error.line == 3 && "\(error)".contains("line 3")
        })
    }
}
