/// The closing line a checked run prints when it found nothing:
/// `lockorder: checked N class(es), M order(s), 0 violations`.
public func isCleanRunLine<Line: StringProtocol>(_ line: Line) -> Bool {
    guard line.hasPrefix("lockorder: checked "), line.hasSuffix(", 0 violations") else { return false }
    let words = line.dropFirst("lockorder: checked ".count).split(separator: " ")
    return words.count == 6 && Int(words[0]) != nil && ["class,", "classes,"].contains(String(words[1]))
        && Int(words[2]) != nil && ["order,", "orders,"].contains(String(words[3]))
}

/// A child's stderr without the clean-run closing line (what else it said; the graph file's
/// lines come after it).
public func withoutCleanRunLine(_ standardError: String) -> String {
    var lines = standardError.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.last == "" { lines.removeLast() }
    let kept = lines.filter { !isCleanRunLine($0) }
    guard kept.count < lines.count else { return standardError }
    return kept.isEmpty ? "" : kept.joined(separator: "\n") + "\n"
}
