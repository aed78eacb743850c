import Foundation

extension LatencyProfile {
    /// The per-shard profiles in a `corsair tune --json` report, by shard id.
    ///
    /// The file is one JSON object with a `shards` array; each element has `id`, `p50_ms`,
    /// `p99_ms`, `p999_ms` and `max_ms` (numbers), and optionally `min_ms`. Other keys are ignored.
    ///
    /// - Parameters:
    ///   - data: The file's contents.
    ///   - file: The file's path, for messages.
    ///   - shardIDs: The map's shard ids: every shard in the file must be one of them.
    /// - Throws: ``SimulationInputError`` naming the file and what is wrong with its shape.
    public static func profiles(
        fromTuneReport data: Data,
        file: String,
        shardIDs: [String]
    ) throws(SimulationInputError) -> [String: LatencyProfile] {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .latency(file, "not JSON: \(error.localizedDescription)")
        }
        guard let object = parsed as? [String: Any], let shards = object["shards"] as? [Any] else {
            throw .latency(file, "expected an object with a \"shards\" array, as `corsair tune --json` prints")
        }
        guard !shards.isEmpty else {
            throw .latency(file, "the \"shards\" array is empty")
        }
        var profiles: [String: LatencyProfile] = [:]
        for (index, element) in shards.enumerated() {
            guard let shard = element as? [String: Any], let id = shard["id"] as? String else {
                throw .latency(file, "shards[\(index)] has no \"id\" text")
            }
            guard shardIDs.contains(id) else {
                throw .latency(file, "shard '\(id)' is not in the map")
            }
            func milliseconds(_ key: String) throws(SimulationInputError) -> Duration? {
                guard let value = shard[key] else { return nil }
                guard let number = value as? Double, number.isFinite, abs(number) < 1e12 else {
                    throw .latency(file, "shard '\(id)': \"\(key)\" is not a number of milliseconds")
                }
                return .nanoseconds(Int64((number * 1_000_000).rounded()))
            }
            func required(_ key: String) throws(SimulationInputError) -> Duration {
                guard let value = try milliseconds(key) else {
                    throw .latency(file, "shard '\(id)' has no \"\(key)\"")
                }
                return value
            }
            let (minimum, p50, p99, p999, maximum) = (
                try milliseconds("min_ms"), try required("p50_ms"), try required("p99_ms"), try required("p999_ms"), try required("max_ms")
            )
            do throws(LatencyProfileError) {
                profiles[id] = try LatencyProfile(minimum: minimum, p50: p50, p99: p99, p999: p999, maximum: maximum)
            } catch {
                throw .latency(file, "shard '\(id)': \(error)")
            }
        }
        return profiles
    }
}
