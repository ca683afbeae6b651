import LockOrderChecker

/// Runs `body` in a checking session on the given hierarchy (the Julia table unless told),
/// with the learned order off so that only the declared rules speak, and returns the distinct
/// violations.
func checkDeclaredRules(hierarchy: LockHierarchy = .julia, _ body: () throws -> Void) rethrows -> [Violation]
{
    try LockOrder.withChecking(hierarchy: hierarchy, learnsOrder: false, printsReports: false, body)
}

/// The `#fileID` of a test file, as reports show sites (`Module/File.swift`).
func siteFile(_ fileID: String = #fileID) -> String { fileID }

/// The report's text split into lines (the text ends with a newline, which adds no line).
func reportLines(_ violation: Violation) -> [String] {
    violation.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
}

/// The line of a report's text that starts with `prefix`, nil when there is none.
func reportLine(_ violation: Violation, startingWith prefix: String) -> String? {
    reportLines(violation).first { $0.hasPrefix(prefix) }
}

/// `checkDeclaredRules`, answering what each rule decided (its finding) rather than its report:
/// rule tests assert decisions, and the words are asserted once, in FindingTextTests.
func declaredRuleFindings(hierarchy: LockHierarchy = .julia, _ body: () throws -> Void) rethrows -> [Finding]
{
    try LockOrder.withCheckingFindings(hierarchy: hierarchy, learnsOrder: false, body).compactMap {
        $0.finding
    }
}
