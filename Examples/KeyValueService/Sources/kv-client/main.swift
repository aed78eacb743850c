import Corsair
import Foundation
import Logging
import ShardMap

// kv-client CONFIG set KEY VALUE | kv-client CONFIG get KEY…: each request goes to the shard that
// owns its key; retries, timeouts and failover follow the file's retry: section.

/// Writes one line on standard error and exits.
func exit(printing line: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("\(line)\n".utf8))
    exit(status)
}

let arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.count >= 3 ? arguments[1] : "help"
guard (command == "set" && arguments.count == 4) || command == "get" else {
    exit(printing: "usage: kv-client CONFIG set KEY VALUE | kv-client CONFIG get KEY...", status: 64)
}
let logger = Logger(label: "kv-client")
let client: ShardedClient
do {
    client = try ShardedClient(store: ShardMapStore(contentsOf: arguments[0], logger: logger))
} catch {
    exit(printing: "error: \(error)", status: 1)
}
// The map follows its file while the client works; a long-lived client lists this service in its
// ServiceGroup instead. A `moved` reply from a server reloads the map as well, without waiting.
let reloads = Task {
    try await ShardMapReloadService(store: client.store, reloadsOnHangup: false, logger: logger).run()
}
var failure: (any Error)?
do {
    if command == "set" {
        let (key, value) = (arguments[2], arguments[3])
        let reply = try await client.request(key: key, body: [Array("SET".utf8), Array(key.utf8), Array(value.utf8)])
        print(String(decoding: reply.bytes, as: UTF8.self))
    } else {
        // Several requests in a row: run them on the engine's I/O thread, so neither the send nor
        // the resumption after each reply needs a thread hand-off.
        let keys = arguments.dropFirst(2)
        let values = try await withTaskExecutorPreference(client.executor) {
            var values: [String?] = []
            for key in keys {
                let reply = try await client.request(key: key, body: [Array("GET".utf8), Array(key.utf8)])
                values.append(reply.body.first.map { String(decoding: $0, as: UTF8.self) })
            }
            return values
        }
        for (key, value) in zip(keys, values) {
            print("\(key) \(value ?? "(unset)")")
        }
    }
} catch {
    // A CorsairError, whose code says what happened: "abandoned after 3 attempts: no reply within 1s"…
    failure = error
}
reloads.cancel()
await client.shutdown()
if let failure {
    exit(printing: "error: \(failure)", status: 1)
}
