import Corsair

/// The code of the `ProtocolError` `body` throws, or `nil` when it does not throw.
func protocolErrorCode(_ body: () throws(ProtocolError) -> Void) -> ProtocolError.Code? {
    protocolError(body)?.code
}

/// The `ProtocolError` `body` throws, or `nil` when it does not throw.
func protocolError(_ body: () throws(ProtocolError) -> Void) -> ProtocolError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

let sampleClientID = ClientID(high: 0x0001_0203_0405_0607, low: 0x0809_0A0B_0C0D_0E0F)

func sampleRequestHeader() -> RequestHeader {
    RequestHeader(
        clientID: sampleClientID,
        requestID: 0x1122_3344_5566_7788,
        attempt: 2,
        remainingDeadline: .milliseconds(1500),
        epoch: 9,
        shardID: "ab",
        bodyFrameCount: 3
    )
}

func sampleReplyHeader() -> ReplyHeader {
    ReplyHeader(
        status: .overloaded,
        requestID: 0x0102_0304_0506_0708,
        epoch: 10,
        retryAfter: .milliseconds(250),
        detail: "busy",
        bodyFrameCount: 1
    )
}
