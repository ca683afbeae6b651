import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Where violations go and how often: each distinct violation (kind, lock classes, call site)
/// is reported in full once and counted afterwards.
///
/// State is guarded by the checker's lock (`CheckerState.lock`); printing happens under the
/// backtrace lock, which callers take before the checker's lock (never the other way round).
struct Reporter {
    /// Print reports on stderr (off in tests that collect violations quietly).
    var printsToStandardError = true
    /// Append one JSON object per distinct violation to this descriptor (LOCKORDER_REPORT_FILE).
    var jsonFileDescriptor: Int32 = -1
    /// Distinct violations in the order they were found; a slot is nil while its report is
    /// being produced.
    private(set) var distinct: [Violation?] = []
    /// What the rule decided for each distinct violation, slot by slot (nil for reports whose
    /// rules word their own findings), for this package's rule tests.
    private(set) var findings: [Finding?] = []
    private var indexByKey: [DeduplicationKey: Int] = [:]
    /// Warnings said so far that are not violations (a declared name the hierarchy does not
    /// have), for tests.
    var warnings: [String] = []
    /// Limits the checker ran into, each announced once.
    private(set) var capacityNotices: [String] = []
    /// Lines the report file did not take (a full disk, a size limit): counted in the summary;
    /// the first failure is announced once.
    private(set) var lostReportFileLines = 0
    /// LOCKORDER_SUPPRESSIONS: violations counted per rule instead of reported.
    var suppressions = Suppressions()

    /// Counts an occurrence; returns the slot for a violation seen for the first time, nil for
    /// a repeat (which is only counted).
    mutating func admit(_ key: DeduplicationKey) -> Int? {
        if let index = indexByKey[key] {
            distinct[index]?.count += 1
            pendingRepeats[index, default: 0] += distinct[index] == nil ? 1 : 0
            return nil
        }
        let index = distinct.count
        indexByKey[key] = index
        distinct.append(nil)
        findings.append(nil)
        return index
    }

    /// Repeats that arrived while the first report was still being produced.
    private var pendingRepeats: [Int: Int] = [:]

    /// Stores the finished report of a slot handed out by `admit`, and the finding it words.
    mutating func store(_ violation: Violation, finding: Finding?, at index: Int) {
        var violation = violation
        violation.count += pendingRepeats.removeValue(forKey: index) ?? 0
        distinct[index] = violation
        findings[index] = finding
    }

    /// The finished reports from slot `first` on, each with its finding (slots still being
    /// produced are left out).
    func reported(from first: Int) -> [(violation: Violation, finding: Finding?)] {
        (first..<distinct.count).compactMap { index in distinct[index].map { ($0, findings[index]) } }
    }

    /// Records that a capacity was reached; returns true the first time for this `what`.
    mutating func noteCapacity(_ what: String) -> Bool {
        if capacityNotices.contains(what) { return false }
        capacityNotices.append(what)
        return true
    }

    /// Counts a line the report file did not take; true for the first one (announce it).
    mutating func noteLostReportFileLine() -> Bool {
        lostReportFileLines += 1
        return lostReportFileLines == 1
    }

    /// Distinct violations and all occurrences so far.
    var totals: (distinct: Int, occurrences: Int) {
        let reported = distinct.compactMap { $0 }
        return (reported.count, reported.reduce(0) { $0 + $1.count })
    }

    /// Forgets everything (a new checking session in tests).
    mutating func reset() {
        distinct = []
        findings = []
        indexByKey = [:]
        pendingRepeats = [:]
        capacityNotices = []
        warnings = []
        lostReportFileLines = 0
        suppressions.resetCounts()
    }

    /// Writes a report to the sinks. Called under the backtrace lock, not the checker's.
    /// Returns the errno of a failed report-file write, 0 when it was written (or there is none).
    func emit(_ violation: Violation) -> Int32 {
        if printsToStandardError {
            StandardError.write(violation.text)
        }
        if jsonFileDescriptor >= 0 {
            return ReportEncoding.appendLine(violation, to: jsonFileDescriptor)
        }
        return 0
    }

    /// The closing line of a clean checked run: nothing reported, no limit reached, nothing
    /// lost, so that a clean run can be told from an unchecked one (which prints nothing).
    static func cleanRunLine(classes: Int, orders: Int) -> String {
        "lockorder: checked \(classes) class\(classes == 1 ? "" : "es"), \(orders) order\(orders == 1 ? "" : "s"), "
            + "0 violations\n"
    }

    /// The line after the summary that counts the cycles a gate lock serialised (not reported),
    /// naming the first few with their gates; nil when there are none.
    static func serialisedCyclesLine(_ cycles: [LearnedOrderSnapshot.SerialisedCycle]) -> String? {
        guard !cycles.isEmpty else { return nil }
        let shown = cycles.prefix(3).map { "\($0.cycle.joined(separator: " -> ")) serialised by \($0.gate)" }
        let more = cycles.count > shown.count ? "; and \(cycles.count - shown.count) more" : ""
        return
            "lockorder: \(cycles.count) cycle\(cycles.count == 1 ? "" : "s") not reported, each edge always taken "
            + "under one gate lock held exclusively: \(shown.joined(separator: "; "))\(more)\n"
    }

    /// The closing line at process exit, nil when nothing was reported.
    var summaryLine: String? { summaryLine(passedThrough: 0) }

    /// The closing line, also counting the acquisitions passed through unchecked inside the
    /// checker (signal handlers); nil when there is nothing to say.
    func summaryLine(passedThrough: Int) -> String? {
        let (distinctCount, occurrences) = totals
        let suppressed = suppressions.summaryLines
        if distinctCount == 0 && capacityNotices.isEmpty && lostReportFileLines == 0 && passedThrough == 0
            && suppressed.isEmpty
        {
            return nil
        }
        var line = "lockorder: \(distinctCount) distinct violation\(distinctCount == 1 ? "" : "s"), "
        line += "\(occurrences) occurrence\(occurrences == 1 ? "" : "s")"
        if !capacityNotices.isEmpty {
            line +=
                "; \(capacityNotices.count) capacity limit\(capacityNotices.count == 1 ? "" : "s") reached ("
            line += capacityNotices.joined(separator: ", ") + ")"
        }
        if lostReportFileLines > 0 {
            line += "; \(lostReportFileLines) report file line\(lostReportFileLines == 1 ? "" : "s") lost"
        }
        if passedThrough > 0 {
            line +=
                "; \(passedThrough) acquisition\(passedThrough == 1 ? "" : "s") passed through unchecked "
                + "inside the checker (signal handlers)"
        }
        return line + "\n" + suppressed.joined()
    }
}

/// The JSON-lines form of reports (docs/report-format.md).
enum ReportEncoding {
    /// The schema version written in every line; bump it when a field changes meaning.
    /// 2: order cycles' `deadlock` rows, the `legend` of lock classes, `threadStartedIn` (also on
    /// each cycle edge); cycle and hint wording changed.
    /// 3: in a cycle among locks of one class, each edge's `from` and `to` are the class (its
    /// locks are `fromLock` and `toLock`); `legend` entries' `locks`; `createdBy` and
    /// `creationFrames`.
    static let schemaVersion = 3

    /// One violation as a single line of JSON, without the newline.
    static func line(_ violation: Violation) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(ReportLine(schema: schemaVersion, violation: violation)) else {
            return Array(#"{"schema":\#(schemaVersion),"error":"could not encode report"}"#.utf8)
        }
        return Array(data)
    }

    /// Appends a line and returns once the kernel has it (the descriptor is opened O_APPEND, so
    /// lines from several processes do not interleave either).
    /// Returns 0, or the errno of the failed write.
    static func appendLine(_ violation: Violation, to fileDescriptor: Int32) -> Int32 {
        var bytes = line(violation)
        bytes.append(UInt8(ascii: "\n"))
        return bytes.withUnsafeBufferPointer { writeAll(fileDescriptor: fileDescriptor, $0) }
    }

    /// Appends the closing summary object; returns 0, or the errno of the failed write.
    static func appendSummary(distinct: [Violation], capacityNotices: [String], to fileDescriptor: Int32)
        -> Int32
    {
        let summary = SummaryLine(
            schema: schemaVersion,
            summary: .init(
                distinct: distinct.count, occurrences: distinct.reduce(0) { $0 + $1.count },
                counts: distinct.map { .init(id: $0.id, kind: $0.kind, count: $0.count) },
                capacityLimits: capacityNotices))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var bytes = (try? encoder.encode(summary)).map(Array.init) else { return 0 }
        bytes.append(UInt8(ascii: "\n"))
        return bytes.withUnsafeBufferPointer { writeAll(fileDescriptor: fileDescriptor, $0) }
    }
}

extension ReportEncoding {
    /// Appends the contention statistics (LOCKORDER_STATS) as one `stats` line; returns 0, or
    /// the errno of the failed write.
    static func appendStats(_ classes: [ClassStatistics], to fileDescriptor: Int32) -> Int32 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = StatsLine(schema: schemaVersion, stats: .init(classes: classes))
        guard var bytes = (try? encoder.encode(line)).map(Array.init) else { return 0 }
        bytes.append(UInt8(ascii: "\n"))
        return bytes.withUnsafeBufferPointer { writeAll(fileDescriptor: fileDescriptor, $0) }
    }
}

/// One line of the report file: the violation's fields at the top level, plus the schema and
/// what the text computes from them (the deadlock rows, the legend, where the thread started).
private struct ReportLine: Encodable {
    let schema: Int
    let violation: Violation

    func encode(to encoder: any Encoder) throws {
        try violation.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(schema, forKey: .schema)
        try container.encodeIfPresent(violation.deadlock, forKey: .deadlock)
        let legend = LockLegend(violation)
        if !legend.entries.isEmpty { try container.encode(legend.entries, forKey: .legend) }
        try container.encodeIfPresent(
            FindingText.startedIn(violation.thread, frames: violation.frames), forKey: .threadStartedIn)
    }

    enum Key: String, CodingKey { case schema, deadlock, legend, threadStartedIn }
}

/// The last line of the report file, written at exit.
struct SummaryLine: Codable {
    struct Summary: Codable {
        struct Count: Codable {
            let id: Int
            let kind: ViolationKind
            let count: Int
        }
        let distinct: Int
        let occurrences: Int
        let counts: [Count]
        let capacityLimits: [String]
    }
    let schema: Int
    let summary: Summary
}
