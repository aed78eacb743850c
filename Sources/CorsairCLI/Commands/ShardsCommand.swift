import ArgumentParser
import Foundation
import ShardMap

/// `corsair shards`: checks shard-map config files and shows where keys go.
struct ShardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shards",
        abstract: "Check shard-map config files and look up which shard owns a key.",
        subcommands: [Check.self, Lookup.self, IDs.self]
    )

    /// `corsair shards check FILE`: validates a config and prints its shards and slot coverage.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a shard-map config file and print its shards and slot coverage.",
            discussion: """
                Exits 0 and prints one line per shard (id, endpoint, slot ranges, slot count) and a \
                coverage line; exits 1 and prints the first problem, with its file, line and key \
                path, when the file is not valid.
                """
        )

        @Argument(help: "The config file, YAML or JSON.")
        var file: String

        func run() throws {
            let map = try ShardsCommand.load(self.file)
            for line in ShardsCommand.table(map) {
                print(line)
            }
            print(ShardsCommand.coverage(map))
        }
    }

    /// `corsair shards lookup FILE KEY...`: prints the shard that owns each key.
    struct Lookup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the shard that owns each key.",
            discussion: """
                Prints one line per key: the key, then slot=N (slot maps only), the shard id and \
                the endpoint, separated by spaces.
                """
        )

        @Argument(help: "The config file, YAML or JSON.")
        var file: String

        @Argument(help: "The keys to look up; put keys that begin with \"-\" after \"--\".")
        var keys: [String]

        func validate() throws {
            if self.keys.isEmpty {
                throw ValidationError("Give at least one key to look up.")
            }
        }

        func run() throws {
            let map = try ShardsCommand.load(self.file)
            for key in self.keys {
                let shard = map.shard(forKey: key)
                var fields = [key]
                if let slot = map.slot(forKey: key) {
                    fields.append("slot=\(slot)")
                }
                fields.append(shard.id)
                fields.append(shard.endpoint)
                print(fields.joined(separator: " "))
            }
        }
    }

    /// The map in a file, or a one-line error on stderr and exit status 1.
    static func load(_ file: String) throws -> ShardMap {
        do {
            return try ShardMap(contentsOf: file)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// A header and one aligned row per shard: id, endpoint, slot ranges, slot count.
    static func table(_ map: ShardMap) -> [String] {
        let usesSlots = map.slotCount != nil
        var rows: [[String]] = [usesSlots ? ["SHARD", "ENDPOINT", "SLOTS", "COUNT"] : ["SHARD", "ENDPOINT", "BUCKET"]]
        for (index, shard) in map.shards.enumerated() {
            if usesSlots {
                let ranges = map.ownedRanges(ofShard: index).map(Self.describe)
                let count = ranges.isEmpty ? 0 : shard.slotCount
                rows.append([shard.id, shard.endpoint, ranges.isEmpty ? "-" : ranges.joined(separator: ","), "\(count)"])
            } else {
                rows.append([shard.id, shard.endpoint, "\(index)"])
            }
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            .joined(separator: "  ")
        }
    }

    /// The summary line under the table.
    static func coverage(_ map: ShardMap) -> String {
        let routing = map.routing
        let shards = "\(map.shards.count) shard\(map.shards.count == 1 ? "" : "s")"
        let details = "(cluster \(map.cluster), \(routing.hash.rawValue), hash tags \(routing.hashTag ? "on" : "off"))"
        if let slotCount = map.slotCount {
            // A validated map owns every slot exactly once.
            return "coverage: \(slotCount)/\(slotCount) slots, \(shards), epoch \(map.epoch) \(details)"
        }
        return "coverage: jump hash over \(shards), epoch \(map.epoch) \(details)"
    }

    private static func describe(_ range: ClosedRange<Int>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
    }
}
