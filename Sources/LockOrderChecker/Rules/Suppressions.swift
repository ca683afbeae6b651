#if canImport(Glibc)
    import Glibc
#endif

/// LOCKORDER_SUPPRESSIONS: violations the user has looked at and decided not to fix here (a
/// third-party library's internals), one rule a line, each with a required reason
/// (docs/interpose.md#suppressions). A suppressed occurrence is not reported, only counted per
/// rule in the exit summary. A certain self-deadlock is never suppressed: going on would hang.
///
/// A line is `KIND | LOCK PATTERN | SITE PATTERN | REASON`: KIND is a violation kind's JSON name
/// (`order_cycle`) or `*`; the lock pattern is matched against the name and class of every lock
/// in the violation (acquired, held, the cycle's edges); the site pattern, which may be empty, against
/// the offending call's site and the locks' sites; `*` matches any run of characters. Blank
/// lines and lines starting with `#` are skipped.
struct SuppressionRule: Equatable {
    /// nil: any kind.
    let kind: ViolationKind?
    let lockPattern: String
    let sitePattern: String?
    let reason: String
    /// The rule's line in the file (1-based).
    let line: Int

    /// Whether the rule covers the violation.
    func covers(_ candidate: ViolationCandidate) -> Bool {
        if let kind, kind != candidate.kind { return false }
        var locks = ([candidate.lock].compactMap { $0 } + candidate.held).flatMap { [$0.name, $0.className] }
        locks += (candidate.cycle ?? []).flatMap {
            [$0.edge.from, $0.edge.to] + [$0.edge.fromLock, $0.edge.toLock].compactMap { $0 }
        }
        guard locks.contains(where: { Self.glob(lockPattern, matches: $0) }) else { return false }
        guard let sitePattern else { return true }
        let sites =
            [candidate.site] + ([candidate.lock].compactMap { $0 } + candidate.held).compactMap(\.site)
        return sites.contains { Self.glob(sitePattern, matches: $0) }
    }

    /// Whether `text` matches `pattern` as a whole, `*` standing for any run of characters.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let pattern = Array(pattern.utf8)
        let text = Array(text.utf8)
        var (p, t) = (0, 0)
        var (star, resume) = (-1, 0)
        while t < text.count {
            if p < pattern.count && pattern[p] != UInt8(ascii: "*") && pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if star >= 0 {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}

/// The rules of a suppressions file and how often each applied.
struct Suppressions {
    /// The file the rules came from.
    private(set) var path = ""
    private(set) var rules: [SuppressionRule] = []
    private var counts: [Int] = []

    /// A file that could not be used: the one line to print.
    struct Failure: Error, Equatable {
        let message: String
    }

    /// Parses a file's text. Throws the first malformed line.
    static func parse(_ text: String, path: String) throws(Failure) -> Suppressions {
        var suppressions = Suppressions()
        suppressions.path = path
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingSpaces()
            }
            func fail(_ problem: String) -> Failure {
                Failure(message: "lockorder: LOCKORDER_SUPPRESSIONS '\(path)' line \(index + 1): \(problem)")
            }
            guard fields.count == 4 else {
                throw fail(
                    "expected KIND | LOCK PATTERN | SITE PATTERN | REASON, found \(fields.count) field\(fields.count == 1 ? "" : "s")"
                )
            }
            let kind: ViolationKind?
            if fields[0] == "*" {
                kind = nil
            } else if let known = ViolationKind(rawValue: fields[0]) {
                kind = known
            } else {
                throw fail(
                    "unknown kind '\(fields[0])' (one of *, \(ViolationKind.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            guard !fields[1].isEmpty else { throw fail("the lock pattern is empty (use * for any lock)") }
            guard !fields[3].isEmpty else { throw fail("the reason is missing (every suppression says why)") }
            suppressions.rules.append(
                SuppressionRule(
                    kind: kind, lockPattern: fields[1], sitePattern: fields[2].isEmpty ? nil : fields[2],
                    reason: fields[3], line: index + 1))
        }
        suppressions.counts = Array(repeating: 0, count: suppressions.rules.count)
        return suppressions
    }

    /// Reads and parses a file.
    static func load(path: String) throws(Failure) -> Suppressions {
        guard let file = fopen(path, "r") else {
            throw Failure(
                message: "lockorder: LOCKORDER_SUPPRESSIONS '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }

    /// Whether a rule covers the violation; counts it for the first rule that does.
    mutating func suppressesLocked(_ candidate: ViolationCandidate) -> Bool {
        guard !candidate.abortsAlways, let index = rules.firstIndex(where: { $0.covers(candidate) }) else {
            return false
        }
        counts[index] += 1
        return true
    }

    /// Forgets the counts (a new checking session in tests), keeping the rules.
    mutating func resetCounts() {
        counts = Array(repeating: 0, count: rules.count)
    }

    /// How often each rule applied.
    var appliedCounts: [(rule: SuppressionRule, count: Int)] {
        zip(rules, counts).filter { $0.1 > 0 }.map { ($0.0, $0.1) }
    }

    /// The summary's lines: one per rule that applied.
    var summaryLines: [String] {
        appliedCounts.map { rule, count in
            "lockorder: suppressed \(count) occurrence\(count == 1 ? "" : "s") by \(path):\(rule.line) "
                + "(\(rule.kind?.rawValue ?? "*") | \(rule.lockPattern)\(rule.sitePattern.map { " | \($0)" } ?? "")): "
                + "\(rule.reason)\n"
        }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) })
        else {
            return ""
        }
        return String(self[first...last])
    }
}
