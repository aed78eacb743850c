import Testing
import ZeroMQ

@Suite("Z85 and CURVE keys")
struct KeyTests {
    /// The test vector of RFC 32.
    static let helloWorldBytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]

    @Test("Z85 encodes and decodes the RFC 32 test vector")
    func rfcVector() {
        #expect(Z85.encode(Self.helloWorldBytes) == "HelloWorld")
        #expect(Z85.decode("HelloWorld") == Self.helloWorldBytes)
    }

    @Test("Z85 round-trips every byte value")
    func roundTrip() {
        let bytes = (0..<256).map { UInt8($0) }
        let text = Z85.encode(bytes)
        #expect(text?.utf8.count == 320)
        #expect(text.flatMap(Z85.decode) == bytes)
        #expect(Z85.encode([]) == "")
        #expect(Z85.decode("") == [])
    }

    @Test("Z85 rejects what it cannot encode or decode", arguments: [
        "HelloWorl",
        "Hello Worl",
        "Hello~orld",
        "Hello\"orld",
        "HelloWor\u{e9}",  // ten UTF-8 bytes, one character outside the alphabet
        "#####",  // a base-85 value above 2^32 - 1
    ])
    func invalidText(text: String) {
        #expect(Z85.decode(text) == nil, "\(text)")
    }

    @Test("Z85 refuses byte counts that are not a multiple of 4")
    func invalidBytes() {
        #expect(Z85.encode([1]) == nil)
        #expect(Z85.encode([1, 2, 3, 4, 5]) == nil)
    }

    @Test("a CURVE key reads and writes as 40 Z85 characters")
    func curveKeyText() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.bytes.count == 32)
        #expect(pair.secretKey.bytes.count == 32)
        #expect(pair.publicKey != pair.secretKey)
        let text = pair.publicKey.z85
        #expect(text.utf8.count == 40)
        #expect(CurveKey(z85: text) == pair.publicKey)
        #expect(CurveKey(z85: "  \(text)\n") == pair.publicKey)
        #expect(CurveKey(bytes: pair.publicKey.bytes) == pair.publicKey)
        #expect(pair.publicKey.description == text)
        #expect(Z85.decode(text) == pair.publicKey.bytes)
    }

    @Test("a known CURVE key decodes to its bytes")
    func knownKey() throws {
        // The server public key of the libzmq CURVE test suite.
        let key = try #require(CurveKey(z85: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"))
        #expect(key.z85 == "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7")
        #expect(Array(key.bytes.prefix(4)) == Array(Z85.decode("rq:rM") ?? []))
    }

    @Test("invalid key text and sizes are rejected")
    func invalidKeys() {
        #expect(CurveKey(z85: "") == nil)
        #expect(CurveKey(z85: "HelloWorld") == nil)
        #expect(CurveKey(z85: String(repeating: "a", count: 39)) == nil)
        #expect(CurveKey(z85: String(repeating: "a", count: 41)) == nil)
        #expect(CurveKey(z85: String(repeating: "a", count: 35) + "a b c") == nil)
        #expect(CurveKey(z85: String(repeating: "~", count: 40)) == nil)
        #expect(CurveKey(z85: String(repeating: "#", count: 40)) == nil)
        #expect(CurveKey(bytes: []) == nil)
        #expect(CurveKey(bytes: Array(repeating: 0, count: 31)) == nil)
        #expect(CurveKey(bytes: Array(repeating: 0, count: 33)) == nil)
    }

    @Test("a keypair rebuilt from its secret key derives the same public key")
    func derivePublicKey() throws {
        for _ in 0..<4 {
            let generated = try CurveKeyPair.generate()
            let derived = try CurveKeyPair(secretKey: generated.secretKey)
            #expect(derived == generated)
        }
    }

    @Test("CURVE keys round-trip as socket options")
    func keyOptions() throws {
        let context = try Context()
        let socket = try Socket(context, .dealer)
        let pair = try CurveKeyPair.generate()
        let server = try CurveKeyPair.generate()
        try socket.set(.curvePublicKey, to: pair.publicKey)
        try socket.set(.curveSecretKey, to: pair.secretKey)
        try socket.set(.curveServerKey, to: server.publicKey)
        #expect(try socket.get(.curvePublicKey) == pair.publicKey)
        #expect(try socket.get(.curveSecretKey) == pair.secretKey)
        #expect(try socket.get(.curveServerKey) == server.publicKey)
    }
}

@Suite("Library")
struct LibraryTests {
    @Test("the version is libzmq 4 and reads as text")
    func version() {
        let version = ZMQ.version
        #expect(version.major == 4)
        #expect(version.minor >= 3)
        #expect(ZMQ.versionString == "\(version.major).\(version.minor).\(version.patch)")
        #expect(ZMQ.versionString.hasPrefix("4."))
    }

    @Test("capabilities")
    func capabilities() {
        #expect(ZMQ.has("curve"))
        #expect(ZMQ.has("ipc"))
        #expect(!ZMQ.has("carrier-pigeon"))
    }
}
