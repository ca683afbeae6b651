import LockOrderChecker
import Synchronization
import Testing

/// The running checked test: its session, what it expects, and the violations that
/// `expectViolation` already accounted for.
final class CheckedScope: Sendable {
    @TaskLocal static var current: CheckedScope?

    let session: LockOrder.Session
    private let state: Mutex<(expected: Set<ViolationKind>, accountedFor: Set<Int>)>

    init(session: LockOrder.Session, expected: Set<ViolationKind>) {
        self.session = session
        state = Mutex((expected, []))
    }

    func addExpected(_ kinds: Set<ViolationKind>) {
        state.withLock { $0.expected.formUnion(kinds) }
    }

    /// Marks violations (by their id in the session) as handled by `expectViolation`.
    func accountFor(_ violations: [Violation]) {
        state.withLock { $0.accountedFor.formUnion(violations.map(\.id)) }
    }

    /// One issue per distinct violation not expected or accounted for, at its source line; one
    /// issue per expected kind that never happened.
    func recordIssues(for violations: [Violation], fallback: SourceLocation) {
        let (expected, accountedFor) = state.withLock { ($0.expected, $0.accountedFor) }
        for violation in violations
        where !expected.contains(violation.kind) && !accountedFor.contains(violation.id) {
            Issue.record(
                Comment(rawValue: IssueText.describe(violation)),
                sourceLocation: IssueLocation.of(violation, fallback: fallback))
        }
        let seen = Set(violations.map(\.kind))
        for kind in expected.subtracting(seen).sorted(by: { $0.rawValue < $1.rawValue }) {
            Issue.record(
                Comment(
                    rawValue: "expected a lock-order violation of kind \(kind.rawValue), none was reported"),
                sourceLocation: fallback)
        }
    }
}

/// A suite's learned order, carried from one test to the next (`.acrossSuite`).
final class SuiteLearning: Sendable {
    @TaskLocal static var current: SuiteLearning?

    private let learned = Mutex<LockOrder.LearnedState?>(nil)

    func take() -> LockOrder.LearnedState? {
        learned.withLock { state in
            defer { state = nil }
            return state
        }
    }

    func keep(_ state: LockOrder.LearnedState) {
        learned.withLock { $0 = state }
    }
}

/// Starting a detached session from async code: waits, without blocking a thread, for the
/// session before it to end.
enum LockOrderSession {
    static func begin(
        hierarchy: LockHierarchy, learnsOrder: Bool, printsReports: Bool,
        resuming learned: LockOrder.LearnedState?
    ) async -> LockOrder.Session {
        while true {
            if let session = LockOrder.Session.begin(
                hierarchy: hierarchy, learnsOrder: learnsOrder, printsReports: printsReports,
                resuming: learned)
            {
                return session
            }
            // Another session runs (a checked test, or a withChecking of another test): it ends
            // when its test does. Polling keeps this free of any lock shared with it.
            try? await Task.sleep(for: .milliseconds(1))
        }
    }
}
