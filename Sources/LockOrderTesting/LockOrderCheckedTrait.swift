import LockOrderChecker
import Testing

/// `@Test(.lockOrderChecked)` and `@Suite(.lockOrderChecked)`: each test runs in a checking
/// session of its own, and every lock-order violation it causes is recorded as an issue of
/// that test at the source line of the offending lock call.
///
/// What a session is and what it sees are `LockOrder.Session`'s rules: checking is
/// process-wide while the session runs, so the trait runs the tests that carry it one at a time
/// (a test waits, without blocking a thread, for the one before to end). Tests without the trait
/// that run in parallel with a checked one are checked too, and what they break is recorded in
/// the checked test; keep lock tests in `.serialized` suites or run with `--no-parallel` when
/// that matters. A `LockOrder.withChecking` inside a checked test joins its session.
public struct LockOrderCheckedTrait: TestTrait, SuiteTrait, TestScoping {
    /// Where a test's learned order comes from.
    public enum Learning: Sendable, Equatable {
        /// Each test starts with nothing learned (the default): an order seen in one test is
        /// never held against another.
        case perTest
        /// The tests of the suite learn one order together, in the order they run: `A -> B` in
        /// one test and `B -> A` in a later one is reported in the later one.
        case acrossSuite
    }

    /// The declared hierarchy the session enforces.
    public var hierarchy: LockHierarchy
    /// Kinds the test must produce: each must be reported at least once (an issue otherwise),
    /// and violations of these kinds are not issues.
    public var expected: Set<ViolationKind>
    /// Per test, or across the suite.
    public var learning: Learning
    /// Also print each report on stderr, as the checker does outside tests.
    public var printsReports: Bool

    /// A suite's trait applies to every test in it.
    public var isRecursive: Bool { true }

    /// Scopes each test case and, for `.acrossSuite`, the suite (to keep its learned order).
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        if testCase != nil { return self }
        return test.isSuite && learning == .acrossSuite ? self : nil
    }

    /// Runs the test (or, for a suite learning across its tests, the suite) in its session.
    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        if testCase == nil {
            let suiteLearning = SuiteLearning()
            try await SuiteLearning.$current.withValue(suiteLearning, operation: function)
            // The suite's order is kept once, at its end (each test's holds the ones before it).
            if let order = suiteLearning.orderToKeep {
                LockOrder.keepForOutputFiles(learned: order, violations: [])
            }
            return
        }
        if let running = CheckedScope.current {
            // A test's own trait inside a checked suite: one session; expectations add up.
            running.addExpected(expected)
            try await function()
            return
        }
        let suiteLearning = learning == .acrossSuite ? SuiteLearning.current : nil
        let session = await LockOrderSession.begin(
            hierarchy: hierarchy, learnsOrder: true, printsReports: printsReports,
            resuming: suiteLearning?.take())
        let scope = CheckedScope(session: session, expected: expected)
        let fallback = test.sourceLocation
        func finish() {
            let (violations, learned) = session.end()
            scope.recordIssues(for: violations, fallback: fallback)
            // For the output files (LOCKORDER_GRAPH_FILE, LOCKORDER_REPORT_FILE): what the test
            // did not expect; its order unless it breaks the order on purpose, and per test only
            // (a suite learning across its tests keeps its order at its end).
            let expectsViolations = scope.expectsViolations
            suiteLearning?.keep(learned, expectsViolations: expectsViolations)
            let keptOrder = suiteLearning == nil && !expectsViolations ? learned : nil
            LockOrder.keepForOutputFiles(learned: keptOrder, violations: scope.unexpected(violations))
        }
        do {
            try await CheckedScope.$current.withValue(scope) {
                try await session.run(function)
            }
        } catch {
            finish()
            throw error
        }
        finish()
    }
}

extension Trait where Self == LockOrderCheckedTrait {
    /// Runs the test in a lock-order checking session with the built-in hierarchy and nothing
    /// expected: any violation fails the test at the offending line.
    public static var lockOrderChecked: Self { lockOrderChecked() }

    /// Runs the test in a lock-order checking session.
    ///
    /// - Parameters:
    ///   - hierarchy: the declared hierarchy to enforce.
    ///   - expecting: kinds the test must produce; they are not issues, their absence is.
    ///   - learning: per test (the default) or across the suite.
    ///   - printsReports: also print each report on stderr.
    public static func lockOrderChecked(
        hierarchy: LockHierarchy = .julia, expecting: ViolationKind..., learning: Self.Learning = .perTest,
        printsReports: Bool = false
    ) -> Self {
        LockOrderCheckedTrait(
            hierarchy: hierarchy, expected: Set(expecting), learning: learning, printsReports: printsReports)
    }
}
