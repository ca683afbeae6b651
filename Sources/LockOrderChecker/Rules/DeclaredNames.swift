import CLockOrderSupport

/// R2: a declared name the active hierarchy does not have. Such a lock has no level and takes
/// part in the learned order only; since a misspelt name would otherwise drop a lock out of the
/// level rules without a word, the first lock made with it says so, once per name.
extension CheckerTables {
    /// The warning for a lock declared `name` (class `classID`) when the active hierarchy has no
    /// such lock and checking is on, the first time only; nil otherwise. Printed on stderr unless
    /// a test session collects quietly, and kept for the session (`LockOrder.warningsSoFar`).
    mutating func unknownDeclaredNameWarning(_ name: String, classID: UInt32) -> String? {
        let mode = lockorder_mode()
        guard mode == UInt8(LOCKORDER_MODE_REPORT) || mode == UInt8(LOCKORDER_MODE_ABORT),
            registry.record(classID).declared == nil,
            warnedUnknownNames.insert(UnknownName(hierarchy: hierarchy.name, name: name)).inserted
        else { return nil }
        let text = FindingText.unknownDeclaredName(
            name, hierarchy: hierarchy.name,
            nearest: Self.nearestNames(to: name, in: hierarchy.locks.map(\.name)),
            lockCount: hierarchy.locks.count)
        reporter.warnings.append(text)
        return reporter.printsToStandardError ? text : nil
    }

    /// Up to three declared names closest to `name` by edit distance (ignoring case), closest
    /// first, table order among equals; only names within a third of the longer name's length
    /// (at least 2 edits) count as close.
    static func nearestNames(to name: String, in names: [String]) -> [String] {
        let target = Array(name.lowercased().unicodeScalars)
        let scored = names.enumerated().compactMap { index, candidate -> (Int, Int, String)? in
            let other = Array(candidate.lowercased().unicodeScalars)
            let distance = editDistance(target, other)
            let bound = max(2, max(target.count, other.count) / 3)
            return distance <= bound ? (distance, index, candidate) : nil
        }
        return scored.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.prefix(3).map(\.2)
    }

    /// Levenshtein distance: insertions, deletions and substitutions of one scalar each.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// A declared name already warned about, under the hierarchy it was missing from.
struct UnknownName: Hashable {
    var hierarchy: String
    var name: String
}
