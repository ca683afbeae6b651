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

    /// The violations the test did not expect (neither a kind it expects nor accounted for by
    /// `expectViolation`).
    func unexpected(_ violations: [Violation]) -> [Violation] {
        let (expected, accountedFor) = state.withLock { ($0.expected, $0.accountedFor) }
        return violations.filter { !expected.contains($0.kind) && !accountedFor.contains($0.id) }
    }

    /// Whether the test breaks the rules on purpose: it expects a kind, or used `expectViolation`.
    var expectsViolations: Bool {
        state.withLock { !$0.expected.isEmpty || !$0.accountedFor.isEmpty }
    }

    /// One issue per distinct violation not expected or accounted for, at its source line; one
    /// issue per expected kind that never happened.
    func recordIssues(for violations: [Violation], fallback: SourceLocation) {
        let expected = state.withLock { $0.expected }
        for violation in unexpected(violations) {
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

    private let state = Mutex<(learned: LockOrder.LearnedState?, expectsViolations: Bool)>((nil, false))

    func take() -> LockOrder.LearnedState? {
        state.withLock { state in
            defer { state.learned = nil }
            return state.learned
        }
    }

    /// Keeps a test's learned order for the next test; `expectsViolations` marks the suite as
    /// breaking the order on purpose somewhere (its order is then not kept for the graph file).
    func keep(_ learned: LockOrder.LearnedState, expectsViolations: Bool) {
        state.withLock {
            $0.learned = learned
            $0.expectsViolations = $0.expectsViolations || expectsViolations
        }
    }

    /// At the suite's end: the order its tests learned together, unless one of them broke it on
    /// purpose.
    var orderToKeep: LockOrder.LearnedState? {
        state.withLock { $0.expectsViolations ? nil : $0.learned }
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
