import ArgumentParser
import FoundationEssentials
import LockOrderChecker

/// `lockorder stats FILE`: the lock classes that made threads wait longest, from the `stats`
/// lines that LOCKORDER_STATS=1 writes into a report file (LOCKORDER_REPORT_FILE).
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract:
            "Print the lock classes with the most wait time from a report file's contention statistics.",
        discussion: """
            Reads the `stats` lines a run with LOCKORDER_STATS=1 wrote into LOCKORDER_REPORT_FILE \
            (other lines are skipped); several runs in one file are added up by class name. \
            Exit status: 0, or 2 when the file cannot be read or holds no statistics. See \
            docs/watchdog.md.
            """)

    @Argument(help: "A report file written with LOCKORDER_REPORT_FILE and LOCKORDER_STATS=1.")
    var file: String

    @Option(help: "How many classes to print.")
    var top: Int = 10

    func validate() throws {
        guard top > 0 else { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path: file, maximumSize: GraphInput.maximumFileSize)
        } catch {
            StandardError.write("lockorder stats: '\(file)': \(error.problem)\n")
            throw ExitCode(2)
        }
        var byName: [String: ClassStatistics] = [:]
        var runs = 0
        let decoder = JSONDecoder()
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let stats = try? decoder.decode(StatsLine.self, from: Data(line)) else { continue }
            runs += 1
            for entry in stats.stats.classes {
                byName[entry.lockClass] = byName[entry.lockClass].map { $0.adding(entry) } ?? entry
            }
        }
        guard runs > 0 else {
            StandardError.write(
                "lockorder stats: '\(file)' holds no contention statistics (run with LOCKORDER_STATS=1 "
                    + "and LOCKORDER_REPORT_FILE)\n")
            throw ExitCode(2)
        }
        let ranked = StatsTable.ranked(Array(byName.values), limit: top)
        print(
            "top \(ranked.count) of \(byName.count) lock class\(byName.count == 1 ? "" : "es") by total wait, "
                + "\(runs) run\(runs == 1 ? "" : "s"):")
        for line in StatsTable.lines(ranked) { print("  \(line)") }
    }
}
