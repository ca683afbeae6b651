import LockOrderChecker
import Testing

/// Where a violation is recorded: the offending lock call's `#fileID` and line.
enum IssueLocation {
    /// The violation's site as a `SourceLocation`; `fallback` (the test's own location) when the
    /// site is not a `Module/File.swift:line` (a lock called from C, say). The file path is the
    /// test's when the file names match (the usual case: the lock call is in the test's file),
    /// otherwise a symbolized frame's, otherwise the file ID itself.
    static func of(_ violation: Violation, fallback: SourceLocation) -> SourceLocation {
        guard let site = parse(violation.site) else { return fallback }
        let fileName = site.fileID.split(separator: "/").last.map(String.init) ?? site.fileID
        var filePath = site.fileID
        if fallback.fileName == fileName {
            filePath = fallback.filePath
        } else if let symbolized = violation.frames.lazy.compactMap(\.sourceLocation).first(where: {
            $0.contains("/" + fileName + ":")
        }) {
            filePath = String(symbolized.prefix { $0 != ":" })
        }
        return SourceLocation(fileID: site.fileID, filePath: filePath, line: site.line, column: 1)
    }

    /// `Module/File.swift:12` as its parts; nil for anything else.
    static func parse(_ site: String) -> (fileID: String, line: Int)? {
        guard let colon = site.lastIndex(of: ":"), let line = Int(site[site.index(after: colon)...]), line > 0
        else { return nil }
        let fileID = String(site[..<colon])
        guard let slash = fileID.firstIndex(of: "/"), slash != fileID.startIndex,
            fileID.index(after: slash) != fileID.endIndex
        else { return nil }
        return (fileID, line)
    }
}

/// The issue's text: the report's headline, the rule and the held locks, as a person reads
/// them in the test output (the full report, with its backtrace, is `violation.text`).
enum IssueText {
    static func describe(_ violation: Violation) -> String {
        var lines = ["lock-order violation (\(violation.kind.rawValue)): \(violation.message)"]
        if let cycle = violation.cycle {
            for edge in cycle {
                let (from, to) = (edge.fromLock ?? edge.from, edge.toLock ?? edge.to)
                lines.append("  \(from) -> \(to): held at \(edge.heldAt), acquired at \(edge.acquiredAt)")
            }
        }
        lines.append("rule: \(violation.rule)")
        lines.append("hint: \(violation.hint)")
        return lines.joined(separator: "\n")
    }
}
