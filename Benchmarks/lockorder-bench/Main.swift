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
        printMachine(options)
        let report = BenchReport()
        let sections: [(Int, (BenchOptions, BenchReport) -> Void)] = [
            (1, UncontendedWorkloads.run), (2, NestedWorkloads.run), (3, ThreadScalingWorkload.run),
            (4, ScaleWorkload.run), (5, FirstTimeCosts.run), (6, ContendedWorkloads.run),
            (7, ContainerWorkloads.run),
        ]
        for (number, run) in sections where options.sections?.contains(number) ?? true {
            run(options, report)
        }
        report.printTables()
    }

    static func printMachine(_ options: BenchOptions) {
        print(
            "lockorder-bench: \(options.repetitions) repetitions x \(options.operations) operations each; medians, spread min-max"
        )
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
/// `--sections 1,3` to run some sections only (while working on one; the documented figures
/// come from a whole run).
struct BenchOptions {
    var operations = 2_000_000
    var repetitions = 7
    var nestedRawOnly = false
    var sections: Set<Int>?

    init(_ arguments: [String]) {
        if arguments.contains("--quick") {
            operations = 200_000
            repetitions = 3
        }
        nestedRawOnly = arguments.contains("--nested-raw-only")
        if let flag = arguments.firstIndex(of: "--sections"), flag + 1 < arguments.count {
            sections = Set(arguments[flag + 1].split(separator: ",").compactMap { Int($0) })
        }
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
    /// The ratio column's heading for sections whose baseline is not the raw pthread mutex.
    var ratioLabels: [String: String] = [:]

    func add(_ section: String, _ measurement: Measurement, baseline: Double?, note: String = "") {
        rows.append(Row(section: section, measurement: measurement, baseline: baseline, note: note))
        let ratio = baseline.map { " (\(format(measurement.median / $0))x)" } ?? ""
        print("  \(measurement.name): \(format(measurement.median)) ns\(ratio)")
    }

    func printTables() {
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
