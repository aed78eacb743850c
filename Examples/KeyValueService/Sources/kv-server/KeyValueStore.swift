import Corsair

/// The values of the keys this server's shard owns, in memory.
///
/// A request is `[command, key]` or `[command, key, value]` in frames: `SET key value` answers
/// `OK`; `GET key` answers the value in one frame, or no frame when the key is unset. The actor
/// keeps concurrent requests apart; the server runs one handler task per request.
actor KeyValueStore: RequestHandler {
    private var values: [String: [UInt8]] = [:]

    func handle(_ request: ServerRequest) async throws -> ServerReply {
        let frames = request.body
        guard frames.count >= 2, let key = String(validating: frames[1], as: UTF8.self) else {
            throw HandlerError("expected the frames [command, key] or [command, key, value]")
        }
        switch (String(decoding: frames[0], as: UTF8.self), frames.count) {
        case ("SET", 3):
            self.values[key] = frames[2]
            return ServerReply(text: "OK")
        case ("GET", 2):
            return ServerReply(self.values[key].map { [$0] } ?? [])
        default:
            throw HandlerError("unknown request; send [SET, key, value] or [GET, key]")
        }
    }
}
