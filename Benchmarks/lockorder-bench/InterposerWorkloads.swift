import Foundation

/// Issue 14's interposer rows: a plain pthread mutex pair (and three nested), as a C library
/// or `NIOLock` makes them, in a process with `libLockOrderInterpose.so` preloaded, checking off
/// and on, against the same loop in a process without it. The library can only be preloaded
/// when a process starts, so each round launches this benchmark three times per workload (plain,
/// preloaded, preloaded with `LOCKORDER_CHECK=1`), in an order that rotates with the round, and
/// takes each preloaded time's ratio to the plain time of the same round.
enum InterposerWorkloads {
    static let section = "10. The interposer: raw pthread mutexes with libLockOrderInterpose.so preloaded"
    static let libraryName = "libLockOrderInterpose.so"
    /// The rows of section 0 that the child processes time.
    static let workloads = ["raw pthread_mutex_t", "raw pthread_mutex_t x3"]

    /// A child process's configuration: its label and what it adds to the environment.
    struct Configuration {
        let label: String
        let preloads: Bool
        let checks: Bool
    }
    static let configurations = [
        Configuration(label: "plain process", preloads: false, checks: false),
        Configuration(label: "interposed, checking off", preloads: true, checks: false),
        Configuration(label: "interposed, checking on", preloads: true, checks: true),
    ]

    /// The library next to this executable (`swift build -c release --product LockOrderInterpose`
    /// puts it there), or nil.
    static func libraryPath() -> String? {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let path = executable.deletingLastPathComponent().appendingPathComponent(libraryName).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    static func run(_ options: BenchOptions, into report: BenchReport) {
        print(section)
        guard let library = libraryPath() else {
            print("  skipped: no \(libraryName) next to the benchmark (make bench builds it)")
            return
        }
        var names: [String] = []
        var baselines: [String?] = []
        for workload in workloads {
            for configuration in configurations {
                names.append("\(workload), \(configuration.label)")
                baselines.append(configuration.preloads ? "\(workload), plain process" : nil)
            }
        }
        var times = [[Double]](repeating: [], count: names.count)
        for round in 0..<options.rounds {
            for (workloadIndex, workload) in workloads.enumerated() {
                for step in 0..<configurations.count {
                    let index = (step + round) % configurations.count
                    guard
                        let time = timeInChild(
                            workload, configurations[index], library: library, operations: options.operations)
                    else { return }
                    times[workloadIndex * configurations.count + index].append(time)
                }
            }
        }
        let indexByName = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let results = names.indices.map { index in
            InterleavedResult(
                name: names[index], baseline: baselines[index], times: times[index],
                ratios: baselines[index].flatMap { indexByName[$0] }.map { baseline in
                    zip(times[index], times[baseline]).map { $0 / $1 }
                } ?? [])
        }
        report.interposerResults = results
        InterleavedRounds.printProgress(results)
    }

    /// Launches this benchmark with `--time-variant`, configured, and reads its ns per operation.
    static func timeInChild(
        _ workload: String, _ configuration: Configuration, library: String, operations: Int
    ) -> Double? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["--time-variant", workload, "--operations", "\(operations)"]
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = configuration.preloads ? library : nil
        environment["LOCKORDER_CHECK"] = configuration.checks ? "1" : nil
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice  // the checker's clean-run line
        do {
            try process.run()
        } catch {
            print("lockorder-bench: the interposer rows could not start a child: \(error)")
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, let time = Double(text) else {
            print(
                "lockorder-bench: a child timing '\(workload)' (\(configuration.label)) failed "
                    + "(status \(process.terminationStatus))")
            return nil
        }
        return time
    }

    /// The child's side (`--time-variant NAME`): one row of section 0, warmed up, then timed;
    /// prints nanoseconds per operation.
    static func timeOne(_ name: String, _ options: BenchOptions) {
        let counter = Counter()
        guard let variant = InterleavedRounds.variants(counter).first(where: { $0.name == name }) else {
            print("lockorder-bench: no variant named '\(name)'")
            exit(1)
        }
        var time = 0.0
        variant.checking.run {
            let body = variant.prepare()
            body(max(options.operations / 20, 1))
            let start = monotonicNanoseconds()
            body(options.operations)
            time = Double(monotonicNanoseconds() - start) / Double(options.operations)
        }
        blackHole(counter.value)
        print(time)
    }
}
