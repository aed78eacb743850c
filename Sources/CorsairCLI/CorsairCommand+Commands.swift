import ArgumentParser

extension CorsairCommand {
    /// Every subcommand, one line each, so that adding one touches one line here.
    static var commands: [any ParsableCommand.Type] {
        [
            ServeCommand.self,
            RequestCommand.self,
            ShardsCommand.self,
            KeygenCommand.self,
            LoadCommand.self,
            DemoCommand.self,
            BenchCommand.self,
            ReconnectStormCommand.self,
            FloodCommand.self,
            SimulateCommand.self,
            TuneCommand.self,
        ]
    }
}
