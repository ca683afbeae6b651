import CLockOrderSupport
import Synchronization

/// Contention statistics (LOCKORDER_STATS=1, docs/watchdog.md), lock_stat's columns per lock
/// class: acquisitions, contended acquisitions, total and longest wait, total and longest hold.
///
/// Each thread counts into its own table (`current(_:)`), so counting writes nothing another
/// thread writes; the tables are summed once, at exit. A thread's table has a lock of its own,
/// which only that thread takes until the sum is made.
package final class ContentionStats: Sendable {
    /// One class's counters, on one thread or summed.
    package struct Counters: Sendable, Equatable {
        package var acquisitions: UInt64 = 0
        package var contended: UInt64 = 0
        package var waitTotal: UInt64 = 0
        package var waitMax: UInt64 = 0
        package var holdTotal: UInt64 = 0
        package var holdMax: UInt64 = 0

        mutating func add(_ other: Counters) {
            acquisitions += other.acquisitions
            contended += other.contended
            waitTotal += other.waitTotal
            waitMax = max(waitMax, other.waitMax)
            holdTotal += other.holdTotal
            holdMax = max(holdMax, other.holdMax)
        }
    }

    /// This thread's counters, by class id.
    private let counters = Mutex<[Counters]>([])

    /// Every thread's table, kept after the thread ends so that its counts are summed too.
    private static let tables = Mutex<[ContentionStats]>([])

    /// The calling thread's table (`state` is its checker state), created on first use.
    static func current(_ state: UnsafeMutablePointer<lockorder_thread_state>) -> ContentionStats {
        if let table = state.pointee.stats {
            return Unmanaged<ContentionStats>.fromOpaque(table).takeUnretainedValue()
        }
        let table = ContentionStats()
        tables.withLock { $0.append(table) }
        state.pointee.stats = Unmanaged.passRetained(table).toOpaque()
        return table
    }

    private func update(_ classID: UInt32, _ change: (inout Counters) -> Void) {
        counters.withLock { counters in
            let index = Int(classID)
            if index >= counters.count {
                counters.append(contentsOf: repeatElement(Counters(), count: index + 1 - counters.count))
            }
            change(&counters[index])
        }
    }

    func acquired(classID: UInt32) {
        update(classID) { $0.acquisitions += 1 }
    }

    func waited(classID: UInt32, nanoseconds: UInt64) {
        update(classID) {
            $0.contended += 1
            $0.waitTotal += nanoseconds
            $0.waitMax = max($0.waitMax, nanoseconds)
        }
    }

    func held(classID: UInt32, nanoseconds: UInt64) {
        update(classID) {
            $0.holdTotal += nanoseconds
            $0.holdMax = max($0.holdMax, nanoseconds)
        }
    }

    /// Every thread's counters summed, by class id (classes never taken are left out).
    static func summed() -> [UInt32: Counters] {
        var sum: [UInt32: Counters] = [:]
        for table in tables.withLock({ $0 }) {
            table.counters.withLock { counters in
                for (index, counter) in counters.enumerated() where counter != Counters() {
                    sum[UInt32(index), default: Counters()].add(counter)
                }
            }
        }
        return sum
    }
}

/// One class's summed statistics as the exit table and the report file's `stats` line show them.
package struct ClassStatistics: Codable, Sendable, Equatable {
    /// The class's name, as reports show it.
    package let lockClass: String
    package let acquisitions: UInt64
    package let contended: UInt64
    /// Nanoseconds.
    package let waitTotalNs: UInt64
    package let waitMaxNs: UInt64
    package let holdTotalNs: UInt64
    package let holdMaxNs: UInt64

    enum CodingKeys: String, CodingKey {
        case lockClass = "class"
        case acquisitions, contended, waitTotalNs, waitMaxNs, holdTotalNs, holdMaxNs
    }

    package init(
        lockClass: String, acquisitions: UInt64, contended: UInt64, waitTotalNs: UInt64, waitMaxNs: UInt64,
        holdTotalNs: UInt64, holdMaxNs: UInt64
    ) {
        self.lockClass = lockClass
        self.acquisitions = acquisitions
        self.contended = contended
        self.waitTotalNs = waitTotalNs
        self.waitMaxNs = waitMaxNs
        self.holdTotalNs = holdTotalNs
        self.holdMaxNs = holdMaxNs
    }

    /// Adds another run's figures for the same class (`lockorder stats` over several runs).
    package func adding(_ other: ClassStatistics) -> ClassStatistics {
        ClassStatistics(
            lockClass: lockClass, acquisitions: acquisitions + other.acquisitions,
            contended: contended + other.contended, waitTotalNs: waitTotalNs + other.waitTotalNs,
            waitMaxNs: max(waitMaxNs, other.waitMaxNs), holdTotalNs: holdTotalNs + other.holdTotalNs,
            holdMaxNs: max(holdMaxNs, other.holdMaxNs))
    }
}

/// The report file's `stats` line: `{"schema":1,"stats":{"classes":[...]}}`.
package struct StatsLine: Codable, Sendable {
    package struct Stats: Codable, Sendable {
        package let classes: [ClassStatistics]
    }
    package let schema: Int
    package let stats: Stats
}

/// The exit table of the statistics, and `lockorder stats`'s.
package enum StatsTable {
    /// The classes sorted by total wait (then by acquisitions, then by name), at most `limit`.
    package static func ranked(_ classes: [ClassStatistics], limit: Int = .max) -> [ClassStatistics] {
        Array(
            classes.sorted {
                ($0.waitTotalNs, $0.acquisitions, $1.lockClass) > (
                    $1.waitTotalNs, $1.acquisitions, $0.lockClass
                )
            }.prefix(limit))
    }

    /// The table, one line a class, after a heading line.
    package static func lines(_ classes: [ClassStatistics]) -> [String] {
        let header = ["class", "acquired", "contended", "wait total", "wait max", "hold total", "hold max"]
        let rows = classes.map { row in
            [
                row.lockClass, "\(row.acquisitions)", "\(row.contended)", milliseconds(row.waitTotalNs),
                milliseconds(row.waitMaxNs), milliseconds(row.holdTotalNs), milliseconds(row.holdMaxNs),
            ]
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        return [line(header)] + rows.map(line)
    }

    /// `12.345 ms`: microsecond resolution.
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let micros = (nanoseconds + 500) / 1000
        let fraction = String(micros % 1000)
        return "\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) ms"
    }
}

extension CheckerState {
    /// The statistics at exit: the table on stderr, the `stats` line in the report file.
    func writeStatistics(printing: Bool, fileDescriptor: Int32) {
        let summed = ContentionStats.summed()
        let classes = tables.withLock { tables in
            summed.map { classID, counters in
                ClassStatistics(
                    lockClass: tables.registry.record(classID).displayName,
                    acquisitions: counters.acquisitions, contended: counters.contended,
                    waitTotalNs: counters.waitTotal, waitMaxNs: counters.waitMax,
                    holdTotalNs: counters.holdTotal, holdMaxNs: counters.holdMax)
            }
        }
        let ranked = StatsTable.ranked(classes)
        if printing {
            var text =
                "lockorder: contention statistics (LOCKORDER_STATS), \(ranked.count) class"
                + "\(ranked.count == 1 ? "" : "es"), by total wait:\n"
            for line in StatsTable.lines(ranked) { text += "  \(line)\n" }
            StandardError.write(text)
        }
        if fileDescriptor >= 0 {
            let error = ReportEncoding.appendStats(ranked, to: fileDescriptor)
            if error != 0 && tables.withLock({ $0.reporter.noteLostReportFileLine() }) {
                announceReportFileFailure(error)
            }
        }
    }
}
