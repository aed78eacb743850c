/// A simulation input that cannot be used: which argument, and why, in one line.
///
/// Every message the simulator gives about its input is made here, so that the wording stays in
/// one place and the command line can print it as `error: <argument>: <message>`.
///
/// ```swift
/// do {
///     _ = try Fault(parsing: "s9:down@10s+20s", shardIDs: ["s0", "s1"])
/// } catch {
///     print(error)  // "--fault 's9:down@10s+20s': no shard 's9' in the map (shards: s0, s1)"
/// }
/// ```
public struct SimulationInputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which kind of input is wrong, as a value callers can branch on. Opaque so that codes can be added.
    public struct Code: Hashable, Sendable {
        private enum Base: Hashable, Sendable {
            case fault
            case latency
            case workload
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A fault spec that does not parse or names an unknown shard.
        public static let fault = Code(.fault)
        /// A latency file that cannot be read or has the wrong shape.
        public static let latency = Code(.latency)
        /// A workload number (clients, rate, duration, requests) out of range.
        public static let workload = Code(.workload)
    }

    /// Which kind of input is wrong.
    public let code: Code
    /// The argument as the user wrote it, such as `--fault 's9:down@1s+2s'`.
    public let argument: String
    /// Why it was rejected.
    public let message: String

    /// An error for a rejected argument.
    public init(code: Code, argument: String, message: String) {
        self.code = code
        self.argument = argument
        self.message = message
    }

    public var description: String {
        "\(self.argument): \(self.message)"
    }
}

extension SimulationInputError {
    static func fault(_ spec: String, _ message: String) -> SimulationInputError {
        SimulationInputError(code: .fault, argument: "--fault '\(spec)'", message: message)
    }

    static func latency(_ file: String, _ message: String) -> SimulationInputError {
        SimulationInputError(code: .latency, argument: "--latency \(file)", message: message)
    }

    static func workload(_ argument: String, _ message: String) -> SimulationInputError {
        SimulationInputError(code: .workload, argument: argument, message: message)
    }

    /// The form every fault spec takes, quoted in fault errors.
    static let faultForm = "expected SHARD:down@START+LENGTH, SHARD:slow=DELAY@START+LENGTH or SHARD:overload[=SHARE]@START+LENGTH, such as s1:down@10s+20s"
}
