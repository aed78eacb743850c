import ArgumentParser
import ShardMap

extension ShardsCommand {
    /// `corsair shards ids FILE`: the shard ids, one per line, for scripts.
    struct IDs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ids",
            abstract: "Print the id of every shard in a config file, one per line.",
            discussion: """
                Exits 0 after printing the ids in file order; exits 1 with one `error: ...` line when \
                the file is not a valid shard map. Scripts/cluster.sh starts one server per line.
                """
        )

        @Argument(help: "The config file, YAML or JSON.")
        var file: String

        func run() throws {
            let map = try ShardsCommand.load(self.file)
            for shard in map.shards {
                print(shard.id)
            }
        }
    }
}
