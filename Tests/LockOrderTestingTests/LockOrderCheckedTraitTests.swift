import LockCore
import LockOrderChecker
import LockOrderTestSupport
import LockOrderTesting
import Synchronization
import Testing

/// The trait's scope driven directly, so that a test can see the issues it records (through
/// `withKnownIssue`, which fails when none matching was recorded).
@Suite("The lockOrderChecked trait", .serialized)
struct LockOrderCheckedTraitTests {
    /// Runs `body` as a test carrying `trait` would run.
    private func runChecked(_ trait: LockOrderCheckedTrait, _ body: @escaping @Sendable () -> Void)
        async throws
    {
        try await trait.provideScope(for: Test.current!, testCase: Test.Case.current, performing: body)
    }

    @Test("ABBA: the order_cycle is recorded as an issue at the line of the acquisition that closes it")
    func abbaIsRecordedAtTheClosingLine() async throws {
        let closingLine = Mutex(0)
        let recorded = Mutex<[Issue]>([])
        try await withKnownIssue {
            try await runChecked(.lockOrderChecked) {
                let a = CheckedMutex("TraitABBA.A")
                let b = CheckedMutex("TraitABBA.B")
                a.lock()
                b.lock()
                b.unlock()
                a.unlock()
                b.lock()
                closingLine.withLock { $0 = #line + 1 }
                a.lock()
                a.unlock()
                b.unlock()
            }
        } matching: { issue in
            recorded.withLock { $0.append(issue) }
            return true
        }
        let issues = recorded.withLock { $0 }
        try #require(issues.count == 1)
        let location = try #require(issues[0].sourceLocation)
        #expect(location.fileID == "LockOrderTestingTests/LockOrderCheckedTraitTests.swift")
        #expect(location.line == closingLine.withLock { $0 })
        #expect(location.filePath.hasSuffix("/Tests/LockOrderTestingTests/LockOrderCheckedTraitTests.swift"))
        let text = issues[0].comments.map(\.rawValue).joined(separator: "\n")
        #expect(text.hasPrefix("lock-order violation (order_cycle): "))
        #expect(text.contains("acquiring TraitABBA.A while holding TraitABBA.B closes the cycle"))
        let closing = "acquired at LockOrderTestingTests/LockOrderCheckedTraitTests.swift:\(location.line)"
        #expect(text.contains(closing))
    }

    @Test("A level inversion is recorded too, with its kind and locks in the text")
    func levelInversionIsRecorded() async throws {
        let recorded = Mutex<[String]>([])
        try await withKnownIssue {
            try await runChecked(.lockOrderChecked) {
                let permanent = CheckedMutex(declared: "gc_perm_lock")
                let module = CheckedMutex(declared: "jl_module_t.lock")
                permanent.lock()
                module.lock()
                module.unlock()
                permanent.unlock()
            }
        } matching: { issue in
            recorded.withLock { $0.append(issue.comments.map(\.rawValue).joined()) }
            return true
        }
        let texts = recorded.withLock { $0 }
        #expect(texts.count == 1)
        #expect(
            texts.first?.hasPrefix(
                "lock-order violation (level_inversion): level inversion: acquiring jl_module_t.lock (level 2) "
                    + "while holding gc_perm_lock (level 1)") == true)
    }

    @Test("A clean test records nothing (an issue here would fail this test)")
    func cleanTestRecordsNothing() async throws {
        try await runChecked(.lockOrderChecked) {
            let a = CheckedMutex("TraitClean.A")
            let b = CheckedMutex("TraitClean.B")
            for _ in 0..<3 {
                a.lock()
                b.lock()
                b.unlock()
                a.unlock()
            }
        }
    }

    @Test("An expected order_cycle is not an issue")
    func expectedViolationPasses() async throws {
        try await runChecked(.lockOrderChecked(expecting: .orderCycle)) {
            abba("TraitExpected")
        }
    }

    @Test("An expected kind that never happens is an issue")
    func missingExpectedViolationIsAnIssue() async throws {
        let recorded = Mutex<[String]>([])
        try await withKnownIssue {
            try await runChecked(.lockOrderChecked(expecting: .orderCycle)) {
                let a = CheckedMutex("TraitMissing.A")
                a.lock()
                a.unlock()
            }
        } matching: { issue in
            recorded.withLock { $0.append(issue.comments.map(\.rawValue).joined()) }
            return true
        }
        #expect(
            recorded.withLock { $0 } == [
                "expected a lock-order violation of kind order_cycle, none was reported"
            ])
    }

    @Test("Per test: A -> B learned in one test is forgotten by the next, so B -> A there is clean")
    func learnedOrderDoesNotLeakBetweenTests() async throws {
        let a = CheckedMutex("TraitLeak.A")
        let b = CheckedMutex("TraitLeak.B")
        try await runChecked(.lockOrderChecked) { nest(a, b) }
        try await runChecked(.lockOrderChecked) { nest(b, a) }
    }

    @Test("Across the suite: A -> B in one test and B -> A in a later one is a cycle in the later one")
    func learningAcrossTheSuite() async throws {
        let a = CheckedMutex("TraitSuite.A")
        let b = CheckedMutex("TraitSuite.B")
        let trait = LockOrderCheckedTrait.lockOrderChecked(learning: .acrossSuite)
        let recorded = Mutex<[String]>([])
        // The suite's own scope (no test case) carries the learned order between its tests.
        try await withKnownIssue {
            try await trait.provideScope(for: Test.current!, testCase: nil) {
                try await trait.provideScope(for: Test.current!, testCase: Test.Case.current) { nest(a, b) }
                try await trait.provideScope(for: Test.current!, testCase: Test.Case.current) { nest(b, a) }
            }
        } matching: { issue in
            recorded.withLock { $0.append(issue.comments.map(\.rawValue).joined()) }
            return true
        }
        let texts = recorded.withLock { $0 }
        #expect(texts.count == 1)
        #expect(texts.first?.hasPrefix("lock-order violation (order_cycle): ") == true)
    }

    @Test("Two checked tests started at once run one after the other: each sees only its own violation")
    func concurrentCheckedTestsAreSerialized() async throws {
        let seen = ViolationsByTest()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in ["TraitParallel1", "TraitParallel2", "TraitParallel3"] {
                group.addTask {
                    try await runChecked(.lockOrderChecked) {
                        let violations = expectViolation(.orderCycle) { abba(name) }
                        seen.values.withLock { $0[name] = violations }
                    }
                }
            }
            try await group.waitForAll()
        }
        let byTest = seen.values.withLock { $0 }
        #expect(byTest.count == 3)
        // Mixed sessions would show two or three cycles in one test and none in another.
        #expect(byTest.values.map(\.count) == [1, 1, 1])
    }

    @Test("A withChecking inside a checked test joins its session instead of waiting for it")
    func withCheckingJoinsTheTraitSession() async throws {
        try await runChecked(.lockOrderChecked(expecting: .orderCycle)) {
            let violations = LockOrder.withChecking { abba("TraitJoin") }
            #expect(violations.map(\.kind) == [.orderCycle])
        }
    }
}

/// `expectViolation`, in and out of a checked test.
@Suite("expectViolation", .serialized)
struct ExpectViolationTests {
    @Test(
        "Inside a checked test: the expected violation is accounted for, not recorded again",
        .lockOrderChecked)
    func insideCheckedTest() {
        let violations = expectViolation(.orderCycle) { abba("ExpectInside") }
        #expect(violations.map(\.kind) == [.orderCycle])
        #expect(violations.first?.cycle?.count == 2)
    }

    @Test("On its own: a session of its own, which returns the violation")
    func onItsOwn() {
        let violations = expectViolation(.orderCycle) { abba("ExpectAlone") }
        #expect(violations.map(\.kind) == [.orderCycle])
    }

    @Test("A body that breaks no rule is an issue at the call")
    func cleanBodyIsAnIssue() {
        let expectedLine = #line + 2
        withKnownIssue {
            expectViolation(.orderCycle) {
                let a = CheckedMutex("ExpectClean.A")
                a.lock()
                a.unlock()
            }
        } matching: { issue in
            issue.sourceLocation?.line == expectedLine
                && issue.comments.map(\.rawValue).joined()
                    == "expected a lock-order violation of kind order_cycle; reported: none"
        }
    }
}

/// The trait on real tests: these pass only if the trait runs them checked and honours what
/// they expect.
@Suite("The trait on real tests", .serialized, .lockOrderChecked)
struct TraitOnRealTests {
    @Test("A clean nesting in a checked suite")
    func clean() {
        nest(CheckedMutex("RealClean.A"), CheckedMutex("RealClean.B"))
    }

    @Test("An ABBA the test expects", .lockOrderChecked(expecting: .orderCycle))
    func expectedCycle() {
        abba("RealExpected")
    }
}

/// What each concurrent test saw, shared with its task.
final class ViolationsByTest: Sendable {
    let values = Mutex<[String: [Violation]]>([:])
}

/// Takes `outer` then `inner`, releases both.
func nest(_ outer: CheckedMutex, _ inner: CheckedMutex) {
    outer.lock()
    inner.lock()
    inner.unlock()
    outer.unlock()
}

/// A then B, then B then A, on this thread: one order_cycle. The two lock classes are creation
/// sites made from the caller's line, so that each call site has classes of its own.
func abba(_ prefix: String, line: UInt = #line) {
    let a = CheckedMutex(prefix + ".A", line: line * 2)
    let b = CheckedMutex(prefix + ".B", line: line * 2 + 1)
    nest(a, b)
    nest(b, a)
}

/// Sessions are process-wide (docs/testing.md, "Parallel tests"): what another thread does while
/// a checked test runs is checked and recorded in that test.
@Suite("Checked tests and other threads", .serialized)
struct CheckedTestsAndOtherThreads {
    @Test("A cycle made by another thread during a checked test is recorded in that test")
    func otherThreadsViolationIsRecordedInTheCheckedTest() async throws {
        let recorded = Mutex<[String]>([])
        try await withKnownIssue {
            try await LockOrderCheckedTrait.lockOrderChecked.provideScope(
                for: Test.current!, testCase: Test.Case.current
            ) {
                TestThread.runAndWait { abba("OtherThread") }
            }
        } matching: { issue in
            recorded.withLock { $0.append(issue.comments.map(\.rawValue).joined()) }
            return true
        }
        let texts = recorded.withLock { $0 }
        #expect(texts.count == 1)
        #expect(texts.first?.hasPrefix("lock-order violation (order_cycle): ") == true)
        #expect(texts.first?.contains("OtherThread.A") == true)
    }
}
