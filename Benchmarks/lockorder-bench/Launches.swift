import Foundation

/// `--launches N`: the interleaved rounds in N fresh processes of this benchmark, one after the
/// other, so that what one launch's memory layout or the machine's phase does to it shows as
/// the spread between launches rather than as a result.
enum Launches {
    static func run(_ count: Int, _ options: BenchOptions) -> [[InterleavedResult]] {
        var launches: [[InterleavedResult]] = []
        for launch in 1...count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments =
                ["--launch-child", "--rounds", "\(options.rounds)", "--operations", "\(options.operations)"]
            let output = Pipe()
            process.standardOutput = output
            do {
                try process.run()
            } catch {
                print("lockorder-bench: launch \(launch) could not start: \(error)")
                continue
            }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
            let results = InterleavedRounds.parse(lines)
            guard process.terminationStatus == 0, !results.isEmpty else {
                print("lockorder-bench: launch \(launch) failed (status \(process.terminationStatus))")
                continue
            }
            print("  launch \(launch) of \(count): " + summary(results))
            launches.append(results)
        }
        return launches
    }

    /// The two headline ratios of a launch, for the progress line.
    private static func summary(_ results: [InterleavedResult]) -> String {
        results.filter { $0.name.hasPrefix("CheckedMutex") && $0.name.hasSuffix("learned graph") }
            .map { "\($0.name) \(format(median($0.ratios)))x" }.joined(separator: "; ")
    }
}
