import Synchronization
import Testing
import ZeroMQ

@Suite("Messages")
struct MessageTests {
    @Test("a 64 MiB message round-trips intact over tcp")
    func largeMessage() throws {
        let size = 64 << 20
        let payload = indexPattern(byteCount: size)
        let context = try Context()
        let server = try Socket(context, .pair)
        let endpoint = try bindFresh(server, .tcp)
        let client = try Socket(context, .pair)
        try client.connect(endpoint)

        try client.send(payload)
        var poller = Poller()
        poller.add(server, events: .readable)
        #expect(try poller.poll(timeout: .seconds(10)) == 1)
        let received = try server.receive(dontWait: true)
        #expect(received.count == size)
        #expect(!received.hasMore)
        let intact = received.withUnsafeBytes { raw in payload.withUnsafeBytes { sameBytes(raw, $0) } }
        #expect(intact)
    }

    @Test("a zero-copy message arrives intact and its buffer is released exactly once", arguments: Transport.allCases)
    func zeroCopy(transport: Transport) throws {
        // Odd size, so that no word-sized copying path hides a short tail.
        let size = (1 << 20) + 3
        let expected = indexPattern(byteCount: size)
        let counter = CallCounter()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        expected.withUnsafeBytes { buffer.copyMemory(from: $0) }
        let address = Int(bitPattern: buffer.baseAddress)

        let context = try Context()
        let server = try Socket(context, .pair)
        let endpoint = try bindFresh(server, transport)
        defer { removeIPCFile(endpoint) }
        let client = try Socket(context, .pair)
        try client.connect(endpoint)

        let message = try Message(adopting: buffer) { released in
            counter.lastAddress.store(Int(bitPattern: released.baseAddress), ordering: .sequentiallyConsistent)
            counter.calls.add(1, ordering: .sequentiallyConsistent)
            released.deallocate()
        }
        #expect(message.count == size)
        try client.send(message)
        // Sending hands the content to libzmq and leaves the message empty.
        #expect(message.count == 0)

        do {
            var poller = Poller()
            poller.add(server, events: .readable)
            #expect(try poller.poll(timeout: .seconds(5)) == 1)
            let received = try server.receive(dontWait: true)
            let intact = received.withUnsafeBytes { raw in expected.withUnsafeBytes { sameBytes(raw, $0) } }
            #expect(intact)
        }

        // tcp and ipc release the buffer on an I/O thread once written; inproc passes the content
        // itself, released when the received message was.
        let released = eventually(timeout: .seconds(5)) {
            counter.calls.load(ordering: .sequentiallyConsistent) >= 1
        }
        #expect(released)
        #expect(counter.lastAddress.load(ordering: .sequentiallyConsistent) == address)

        // Nothing may release it again, even tearing everything down.
        client.close()
        server.close()
        #expect(counter.calls.load(ordering: .sequentiallyConsistent) == 1)
    }

    @Test("an adopted buffer that is never sent is released once, when the message is")
    func zeroCopyNeverSent() throws {
        let counter = CallCounter()
        do {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
            let message = try Message(adopting: buffer) { released in
                counter.calls.add(1, ordering: .sequentiallyConsistent)
                released.deallocate()
            }
            #expect(message.count == 64)
            #expect(counter.calls.load(ordering: .sequentiallyConsistent) == 0)
        }
        #expect(counter.calls.load(ordering: .sequentiallyConsistent) == 1)
    }

    @Test("a failed zero-copy send keeps the buffer until the message is released")
    func zeroCopyFailedSend() throws {
        let counter = CallCounter()
        let context = try Context()
        // A REQ socket with no peer cannot send without waiting.
        let client = try Socket(context, .req)
        do {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 8)
            let message = try Message(adopting: buffer) { released in
                counter.calls.add(1, ordering: .sequentiallyConsistent)
                released.deallocate()
            }
            #expect(throws: ZMQError.self) { try client.send(message, dontWait: true) }
            #expect(message.count == 16)
            #expect(counter.calls.load(ordering: .sequentiallyConsistent) == 0)
        }
        #expect(counter.calls.load(ordering: .sequentiallyConsistent) == 1)
    }

    @Test("copying initializers hold the bytes they were given")
    func copyingInitializers() throws {
        let bytes: [UInt8] = [9, 8, 7, 6, 5]
        #expect(try Message(bytes).bytes == bytes)
        let copied = try bytes.withUnsafeBytes { raw throws(ZMQError) in try Message(copying: raw) }
        #expect(copied.bytes == bytes)
        #expect(Message().count == 0)
        #expect(try Message([]).bytes == [])
        #expect(try Message(copying: UnsafeRawBufferPointer(start: nil, count: 0)).count == 0)

        let sized = try Message(size: 4)
        sized.withUnsafeMutableBytes { raw in
            for index in raw.indices { raw[index] = UInt8(index * 3) }
        }
        #expect(sized.bytes == [0, 3, 6, 9])
    }
}
