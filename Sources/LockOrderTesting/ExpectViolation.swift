import LockOrderChecker
import Testing

/// Runs `body` checked and expects it to produce a lock-order violation of `kind`: records an
/// issue at the call when it does not. Returns the violations `body` produced, to assert more
/// (locks, text).
///
/// Inside a `.lockOrderChecked` test it joins the test's session, and the violations it
/// returns are not recorded again when the test ends; elsewhere it runs its own session
/// (`LockOrder.withChecking`), which waits for any other session to end.
///
/// - Parameters:
///   - kind: the kind that must be reported.
///   - hierarchy: the hierarchy, when `body` runs a session of its own.
@discardableResult
public func expectViolation(
    _ kind: ViolationKind, hierarchy: LockHierarchy = .julia,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) rethrows -> [Violation] {
    let violations = try LockOrder.withChecking(hierarchy: hierarchy, learnsOrder: true, body)
    CheckedScope.current?.accountFor(violations)
    if !violations.contains(where: { $0.kind == kind }) {
        let seen = violations.isEmpty ? "none" : violations.map(\.kind.rawValue).joined(separator: ", ")
        Issue.record(
            Comment(rawValue: "expected a lock-order violation of kind \(kind.rawValue); reported: \(seen)"),
            sourceLocation: sourceLocation)
    }
    return violations
}
