import LockCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `make bench`: the cost of checking, in ns per operation and as ratios to a raw pthread mutex
/// measured in the same run. Release build only; no timing is asserted anywhere.
@main
enum LockOrderBench {
    static func main() {
        let options = BenchOptions(CommandLine.arguments)
        if options.nestedRawOnly {
            // The ThreadSanitizer comparison runs only this workload, in a TSan build.
            let raw = NestedWorkloads.raw(options)
            print("nested raw pthread: \(format(raw.median)) ns (median of \(raw.samples.count))")
            return
        }
        if let name = options.instructionsVariant {
            InstructionCounts.runOne(name, options)
            return
        }
        if let name = options.timedVariant {
            InterposerWorkloads.timeOne(name, options)
            return
        }
        if options.isLaunchChild {
            let counter = Counter()
            let results = InterleavedRounds.measure(
                InterleavedRounds.variants(counter), rounds: options.rounds, operations: options.operations)
            blackHole(counter.value)
            for line in InterleavedRounds.machineLines(results) { print(line) }
            return
        }
        printMachine(options)
        if options.launches > 1 {
            print(InterleavedRounds.section + ", \(options.launches) launches")
            let launches = Launches.run(options.launches, options)
            for line in InterleavedRounds.table(launches) { print(line) }
            return
        }
        let report = BenchReport()
        let sections: [(Int, (BenchOptions, BenchReport) -> Void)] = [
            (0, InterleavedRounds.run), (1, UncontendedWorkloads.run), (2, NestedWorkloads.run),
            (3, ThreadScalingWorkload.run),
            (4, ScaleWorkload.run), (5, FirstTimeCosts.run), (6, ContendedWorkloads.run),
            (7, ContainerWorkloads.run), (8, ChainWorkloads.run),
            (9, SharedLockWorkloads.run), (10, InterposerWorkloads.run),
        ]
        for (number, run) in sections where options.sections?.contains(number) ?? true {
            run(options, report)
        }
        report.printTables()
    }

    static func printMachine(_ options: BenchOptions) {
        print(
            "lockorder-bench: section 0 in \(options.rounds) interleaved rounds, the others in \(options.repetitions) "
                + "repetitions; \(options.operations) operations each; medians, spread min-max")
        print("machine: \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores, \(cpuModel())")
    }

    static func cpuModel() -> String {
        guard let file = fopen("/proc/cpuinfo", "r") else { return "unknown CPU" }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            let text = String(cString: line!)
            if text.hasPrefix("model name") {
                return text.split(separator: ":", maxSplits: 1).last.map {
                    $0.trimmingCharacters()
                } ?? "unknown CPU"
            }
        }
        return "unknown CPU"
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(
            drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\n" || $0 == "\t" }
                .reversed())
    }
}

/// Command-line options: `--quick` for a fast smoke run, `--nested-raw-only` for the TSan build,
/// `--sections 0,3` to run some sections only (while working on one; the documented figures
/// come from a whole run), `--rounds N` for section 0's interleaved rounds, `--launches N` to
/// run section 0 in N fresh processes and report the median of their medians,
/// `--instructions VARIANT --operations N` for `make bench-instructions` (one variant, counted
/// under callgrind), `--time-variant VARIANT --operations N` for section 10's child processes
/// (one row of section 0, timed).
struct BenchOptions {
    var operations = 2_000_000
    var repetitions = 7
    var rounds = 15
    var launches = 1
    var nestedRawOnly = false
    var isLaunchChild = false
    var instructionsVariant: String?
    var timedVariant: String?
    var sections: Set<Int>?

    init(_ arguments: [String]) {
        if arguments.contains("--quick") {
            operations = 200_000
            repetitions = 3
            rounds = 5
        }
        nestedRawOnly = arguments.contains("--nested-raw-only")
        isLaunchChild = arguments.contains("--launch-child")
        func value(_ flag: String) -> String? {
            guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
            return arguments[index + 1]
        }
        if let text = value("--sections") {
            sections = Set(text.split(separator: ",").compactMap { Int($0) })
        }
        func positive(_ flag: String) -> Int? {
            guard let text = value(flag) else { return nil }
            guard let number = Int(text), number > 0 else {
                print("lockorder-bench: \(flag) needs a whole number above 0, not '\(text)'")
                exit(2)
            }
            return number
        }
        rounds = positive("--rounds") ?? rounds
        launches = positive("--launches") ?? launches
        operations = positive("--operations") ?? operations
        instructionsVariant = value("--instructions")
        timedVariant = value("--time-variant")
    }
}

/// Rows of the final tables, with ratios to the baseline of their section.
final class BenchReport {
    struct Row {
        var section: String
        var measurement: Measurement
        var baseline: Double?
        var note: String = ""
    }
    var rows: [Row] = []
    var notes: [String] = []
    /// Section 0's results, printed as their own table first.
    var interleaved: [InterleavedResult] = []
    /// Section 8's results (interleaved rounds too), printed after section 0's.
    var chainResults: [InterleavedResult] = []
    /// Section 9's results (interleaved rounds too).
    var sharedResults: [InterleavedResult] = []
    /// Section 10's results (rounds of child processes).
    var interposerResults: [InterleavedResult] = []
    /// The ratio column's heading for sections whose baseline is not the raw pthread mutex.
    var ratioLabels: [String: String] = [:]

    func add(_ section: String, _ measurement: Measurement, baseline: Double?, note: String = "") {
        rows.append(Row(section: section, measurement: measurement, baseline: baseline, note: note))
        let ratio = baseline.map { " (\(format(measurement.median / $0))x)" } ?? ""
        print("  \(measurement.name): \(format(measurement.median)) ns\(ratio)")
    }

    func printTables() {
        if !interleaved.isEmpty {
            for line in InterleavedRounds.table([interleaved]) { print(line) }
        }
        if !chainResults.isEmpty {
            for line in InterleavedRounds.table([chainResults], title: ChainWorkloads.section) { print(line) }
            print("")
            print(ChainWorkloads.scalingNote(chainResults))
        }
        if !sharedResults.isEmpty {
            for line in InterleavedRounds.table([sharedResults], title: SharedLockWorkloads.section) {
                print(line)
            }
            print("")
            print(SharedLockWorkloads.throughputNote(sharedResults))
        }
        if !interposerResults.isEmpty {
            for line in InterleavedRounds.table([interposerResults], title: InterposerWorkloads.section) {
                print(line)
            }
        }
        var section = ""
        for row in rows {
            if row.section != section {
                section = row.section
                print("\n### \(section)\n")
                print(
                    "| variant | ns/op (median) | spread | \(ratioLabels[section] ?? "ratio to raw pthread") |"
                )
                print("|---|---:|---:|---:|")
            }
            let measurement = row.measurement
            let ratio = row.baseline.map { format(measurement.median / $0) + "x" } ?? "—"
            print(
                "| \(measurement.name)\(row.note.isEmpty ? "" : " (\(row.note))") | \(format(measurement.median)) | "
                    + "\(format(measurement.minimum))–\(format(measurement.maximum)) | \(ratio) |")
        }
        if !notes.isEmpty {
            print("")
            for note in notes { print(note) }
        }
    }
}
