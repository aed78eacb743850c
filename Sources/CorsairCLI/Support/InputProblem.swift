import ArgumentParser
import UnitText
import ShardMap

/// Input that `corsair tune` or `corsair simulate` cannot use: the argument and why, printed as one
/// `error:` line, with the exit status it calls for.
///
/// Every message about their arguments is made here (or, for the simulator's own input, in
/// `SimulationInputError`), so that the wording stays in one place.
struct InputProblem: Error, CustomStringConvertible {
    /// The argument as the user gave it, such as `--duration 10`.
    let argument: String
    /// Why it cannot be used.
    let message: String
    /// 2 for input that cannot be used, 1 for a cluster that does not answer.
    let status: Int32

    init(_ argument: String, _ message: String, status: Int32 = 2) {
        self.argument = argument
        self.message = message
        self.status = status
    }

    var description: String { "\(self.argument): \(self.message)" }

    /// Prints the problem on stderr and returns the exit status to throw.
    func report() -> ExitCode {
        CommandLineOutput.error(self.description)
        return ExitCode(self.status)
    }

    // MARK: Parsing

    /// A positive duration with a unit, such as `10s` or `250ms`.
    static func duration(_ text: String, flag: String) throws(InputProblem) -> Duration {
        guard let duration = DurationText.parse(text), text.contains(where: \.isLetter) else {
            throw InputProblem("\(flag) \(text)", "not a duration with a unit, such as 10s or 250ms")
        }
        guard duration > .zero else {
            throw InputProblem("\(flag) \(text)", "must be positive")
        }
        return duration
    }

    /// A whole number from `minimum` to `maximum`.
    static func integer(_ text: String, flag: String, minimum: Int = 1, maximum: Int = .max) throws(InputProblem) -> Int {
        guard let value = Int(text) else {
            throw InputProblem("\(flag) \(text)", "not a whole number")
        }
        guard value >= minimum else {
            throw InputProblem("\(flag) \(text)", "must be at least \(minimum)")
        }
        guard value <= maximum else {
            throw InputProblem("\(flag) \(text)", "must be at most \(maximum)")
        }
        return value
    }

    /// A positive, finite number.
    static func positiveNumber(_ text: String, flag: String) throws(InputProblem) -> Double {
        guard let value = Double(text), value.isFinite else {
            throw InputProblem("\(flag) \(text)", "not a number")
        }
        guard value > 0 else {
            throw InputProblem("\(flag) \(text)", "must be positive")
        }
        return value
    }

    /// The shard map in a config file.
    static func map(_ file: String, flag: String) throws(InputProblem) -> ShardMap {
        do {
            return try ShardMap(contentsOf: file)
        } catch {
            throw InputProblem("\(flag) \(file)", "\(error)")
        }
    }
}
