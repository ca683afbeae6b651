/// A report's text with its wrapped lines joined again: a line over 120 characters is printed
/// in pieces, each continuation indented four columns past the line it continues (nested
/// lines, such as held locks and frames, are indented two), so that a test can look for a
/// whole rule or hint as one line.
public func unwrappedReport(_ text: String) -> String {
    var lines: [String] = []
    var baseIndent = -1
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let indent = line.prefix { $0 == " " }.count
        if baseIndent >= 0, indent == baseIndent + 4, !lines.isEmpty {
            lines[lines.count - 1] += " " + line.dropFirst(indent)
        } else {
            lines.append(String(line))
            baseIndent = indent
        }
    }
    return lines.joined(separator: "\n")
}

/// Whether a report's frame line (`#K 0x... + N (module) at FILE:LINE:COLUMN`) carries a source
/// location.
public func isLocatedFrameLine(_ line: some StringProtocol) -> Bool {
    line.drop { $0 == " " }.hasPrefix("#") && line.contains(") at ")
}

/// Whether any frame line of a report's `text` carries a source location.
public func hasLocatedFrame(_ text: String) -> Bool {
    text.split(separator: "\n").contains { isLocatedFrameLine($0) }
}
