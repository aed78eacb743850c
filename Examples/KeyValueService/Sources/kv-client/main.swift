import Corsair
import Foundation
import Logging
import ShardMap

// kv-client CONFIG set KEY VALUE | kv-client CONFIG get KEY…: each request goes to the shard that
// owns its key; retries, timeouts and failover follow the file's retry: section.
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3, ["set", "get"].contains(arguments[1]), arguments[1] == "get" || arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: kv-client CONFIG set KEY VALUE | kv-client CONFIG get KEY...\n".utf8))
    exit(64)
}
let client: ShardedClient
do {
    client = try ShardedClient(store: ShardMapStore(contentsOf: arguments[0], logger: Logger(label: "kv-client")))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
var failed = false
do {
    if arguments[1] == "set" {
        let (key, value) = (arguments[2], arguments[3])
        let reply = try await client.request(key: key, body: [Array("SET".utf8), Array(key.utf8), Array(value.utf8)])
        print(String(decoding: reply.bytes, as: UTF8.self))
    } else {
        // Several requests in a row: run them on the engine's I/O thread, so neither the send nor
        // the resumption after each reply needs a thread hand-off.
        let values = try await withTaskExecutorPreference(client.executor) {
            var values: [String?] = []
            for key in arguments.dropFirst(2) {
                let reply = try await client.request(key: key, body: [Array("GET".utf8), Array(key.utf8)])
                values.append(reply.body.first.map { String(decoding: $0, as: UTF8.self) })
            }
            return values
        }
        for (key, value) in zip(arguments.dropFirst(2), values) {
            print("\(key) \(value ?? "(unset)")")
        }
    }
} catch {
    // A CorsairError: its code says what happened, such as "abandoned after 3 attempts: no reply within 2500ms".
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    failed = true
}
await client.shutdown()
exit(failed ? 1 : 0)
