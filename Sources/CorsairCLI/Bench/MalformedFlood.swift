import Corsair
import Foundation
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// Sends a server a flood of broken messages, the kind a buggy or hostile peer sends: random frame
/// counts, empty frames, garbage headers, the magic with a broken rest, valid headers with one field
/// corrupted, frames past the size limit, and raw bytes that are not ZMTP at all.
///
/// Runs on the calling thread and may block on sends (each bounded by a send timeout), so it belongs
/// in a process of its own: `corsair flood`. Deterministic for a given seed.
struct MalformedFlood {
    /// What was sent, as JSON for tests and scripts.
    struct Report: Sendable, Codable {
        var messages = 0
        var dealerMessages = 0
        var reqMessages = 0
        var rawConnections = 0
        var oversizedFrames = 0
        var sendTimeouts = 0
        var repliesReceived = 0
        var byKind: [String: Int] = [:]
        var seconds = 0.0

        enum CodingKeys: String, CodingKey {
            case messages, seconds
            case dealerMessages = "dealer_messages"
            case reqMessages = "req_messages"
            case rawConnections = "raw_connections"
            case oversizedFrames = "oversized_frames"
            case sendTimeouts = "send_timeouts"
            case repliesReceived = "replies_received"
            case byKind = "by_kind"
        }
    }

    /// The shapes of broken message sent.
    enum Kind: String, CaseIterable {
        case randomFrames = "random_frames"
        case emptyFrames = "empty_frames"
        case garbageHeader = "garbage_header"
        case brokenMagic = "broken_magic"
        case corruptedField = "corrupted_field"
        case wrongBodyCount = "wrong_body_count"
        case randomDelimiters = "random_delimiters"
        case expiredDeadline = "expired_deadline"
        case tooManyFrames = "too_many_frames"
    }

    let endpoint: String
    let messages: Int
    /// The server's frame size limit: oversized frames are one byte past it.
    let maxMessageSize: Int
    var random: SplitMix64

    init(endpoint: String, messages: Int, maxMessageSize: Int, seed: UInt64) {
        self.endpoint = endpoint
        self.messages = messages
        self.maxMessageSize = maxMessageSize
        self.random = SplitMix64(seed: seed)
    }

    mutating func run() throws(ZMQError) -> Report {
        var report = Report()
        let start = ContinuousClock.now
        let context = try Context()
        let dealer = try self.socket(context, .dealer)
        let req = try self.socket(context, .req)
        try req.set(.requestRelaxed, to: true)
        // One message in 2,000 is an oversized frame, one in 500 a raw connection; the rest go
        // three to one over DEALER (which chooses its own envelope) and REQ (which adds the delimiter).
        for index in 0..<self.messages {
            if index % 2000 == 1999 {
                // The server disconnects a peer that sends a frame over its limit: use a socket of
                // its own each time, so the others keep their connections.
                let victim = try self.socket(context, .dealer)
                let sent = self.send([[], Array(repeating: 0x41, count: self.maxMessageSize + 1)], on: victim)
                report.oversizedFrames += sent ? 1 : 0
                report.sendTimeouts += sent ? 0 : 1
                victim.close()
            } else if index % 500 == 499 {
                self.rawConnection()
                report.rawConnections += 1
            } else {
                let kind = Kind.allCases[Int(self.random.next() % UInt64(Kind.allCases.count))]
                report.byKind[kind.rawValue, default: 0] += 1
                var frames = self.message(kind)
                let viaREQ = self.random.next() % 4 == 0
                let socket: Socket
                if viaREQ, !frames.isEmpty {
                    // REQ sends its own empty delimiter first: drop ours when there is one.
                    if frames.first == [] && frames.count > 1 { frames.removeFirst() }
                    socket = req
                    report.reqMessages += 1
                } else {
                    socket = dealer
                    report.dealerMessages += 1
                }
                if frames.isEmpty { frames = [[]] }
                if !self.send(frames, on: socket) {
                    report.sendTimeouts += 1
                }
            }
            report.messages += 1
            if index % 64 == 0 {
                report.repliesReceived += Self.drain(dealer) + Self.drain(req)
            }
        }
        report.repliesReceived += Self.drain(dealer) + Self.drain(req)
        dealer.close()
        req.close()
        let elapsed = start.duration(to: .now)
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return report
    }

    private func socket(_ context: Context, _ kind: SocketKind) throws(ZMQError) -> Socket {
        let socket = try Socket(context, kind)
        // A send that cannot go within this long is counted and skipped rather than hanging the flood.
        try socket.set(.sendTimeout, to: .seconds(2))
        try socket.set(.reconnectInterval, to: .milliseconds(10))
        try socket.connect(self.endpoint)
        return socket
    }

    private func send(_ frames: [[UInt8]], on socket: Socket) -> Bool {
        do {
            try socket.send(multipart: frames)
            return true
        } catch {
            return false
        }
    }

    private static func drain(_ socket: Socket) -> Int {
        var count = 0
        while (try? socket.receiveMultipart(dontWait: true)) != nil {
            count += 1
        }
        return count
    }

    // MARK: Messages

    private mutating func bytes(_ range: ClosedRange<Int>) -> [UInt8] {
        let count = range.lowerBound + Int(self.random.next() % UInt64(range.count))
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: self.random.next()) }
    }

    private mutating func below(_ bound: Int) -> Int {
        Int(self.random.next() % UInt64(bound))
    }

    /// A request header that decodes, with a random shard id and body count.
    private mutating func validHeader(bodyFrames: Int, deadline: Duration? = .seconds(5)) -> [UInt8] {
        let header = RequestHeader(
            clientID: ClientID(high: self.random.next(), low: self.random.next()),
            requestID: self.random.next(),
            attempt: UInt16(1 + self.below(3)),
            remainingDeadline: deadline,
            epoch: 0,
            shardID: self.below(2) == 0 ? nil : "s\(self.below(3))",
            bodyFrameCount: UInt16(bodyFrames)
        )
        return (try? header.encode()) ?? []
    }

    mutating func message(_ kind: Kind) -> [[UInt8]] {
        switch kind {
        case .randomFrames:
            return (0..<self.below(9)).map { _ in self.below(4) == 0 ? [] : self.bytes(1...48) }
        case .emptyFrames:
            return Array(repeating: [], count: 1 + self.below(6))
        case .garbageHeader:
            // Starts like the magic, then goes wrong; or no magic at all.
            let start: [UInt8] = [[], [0x43], [0x43, 0x52], [0x43, 0x52, 0x53]][self.below(4)]
            return [[], start + self.bytes(1...60)] + (0..<self.below(3)).map { _ in self.bytes(0...16) }
        case .brokenMagic:
            return [[], [0x43, 0x52, 0x53, 0x52] + self.bytes(0...80)]
        case .corruptedField:
            var header = self.validHeader(bodyFrames: 1)
            switch self.below(7) {
            case 0: header[4] = UInt8(2 + self.below(250))  // version
            case 1: header[5] = [0, 2, 3, 0xFF][self.below(4)]  // message type
            case 2: header[46] = UInt8(truncatingIfNeeded: Int(header[46]) + 1 + self.below(200))  // shard id length
            case 3: header = Array(header.prefix(6 + self.below(header.count - 6)))  // truncated
            case 4: header += self.bytes(1...8)  // trailing bytes
            case 5:
                // A shard id that is not UTF-8.
                header[46] = 2
                header = Array(header.prefix(47)) + [0xC3, 0x28]
            default: header[6] = 0xFF  // body count far past the frames
            }
            return [[], header, Array("INCR fuzz".utf8)]
        case .wrongBodyCount:
            let declared = self.below(4)
            var actual = self.below(4)
            if actual == declared { actual += 1 }
            return [[], self.validHeader(bodyFrames: declared)] + (0..<actual).map { _ in Array("GET fuzz".utf8) }
        case .randomDelimiters:
            // A plausible request with empty frames dropped in at random places.
            var frames: [[UInt8]] = [self.bytes(1...8), [], self.validHeader(bodyFrames: 1), Array("GET fuzz".utf8)]
            for _ in 0..<(1 + self.below(3)) {
                frames.insert([], at: self.below(frames.count + 1))
            }
            return frames
        case .expiredDeadline:
            // Well formed, but its deadline has all but passed: answered without running the handler.
            return [[], self.validHeader(bodyFrames: 1, deadline: .milliseconds(1)), Array("INCR fuzz".utf8)]
        case .tooManyFrames:
            guard self.below(20) == 0 else { return [[], [0x43, 0x52, 0x53, 0x52, 1]] }
            return [[], self.validHeader(bodyFrames: 1100)] + Array(repeating: [0x78], count: 1100)
        }
    }

    // MARK: Raw connections

    /// Connects without ZMTP, writes junk (sometimes after a real ZMTP greeting) and hangs up.
    private mutating func rawConnection() {
        var junk = self.bytes(1...512)
        if self.below(2) == 0 {
            // A ZMTP 3 greeting's signature and version, then nonsense where the mechanism goes.
            junk = [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0] + junk
        }
        let fd: Int32
        if self.endpoint.hasPrefix("ipc://") {
            fd = Self.connectUnix(String(self.endpoint.dropFirst("ipc://".count)))
        } else if self.endpoint.hasPrefix("tcp://") {
            fd = Self.connectTCP(String(self.endpoint.dropFirst("tcp://".count)))
        } else {
            return
        }
        guard fd >= 0 else { return }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = junk.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(fd)
    }

    private static func connectUnix(_ path: String) -> Int32 {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            return -1
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            return -1
        }
        return fd
    }

    private static func connectTCP(_ hostAndPort: String) -> Int32 {
        guard let colon = hostAndPort.lastIndex(of: ":"), let port = UInt16(hostAndPort[hostAndPort.index(after: colon)...]) else {
            return -1
        }
        let host = String(hostAndPort[..<colon])
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host == "*" || host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            close(fd)
            return -1
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            return -1
        }
        return fd
    }
}
