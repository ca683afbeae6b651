import LockCore
import LockOrderChecker
import LockOrderTestSupport
import Testing

/// Gate locks among locks of one class (R32 with docs/graph.md §12): transfers between accounts
/// that are only ever made under one bank-wide lock cannot deadlock, whatever order they take the
/// accounts in (lockdep's nest_lock), and are counted instead of reported. Each way the gate
/// fails to serialise them is reported, as among classes.
@Suite("Instances of one class: gate locks", .serialized)
struct InstanceOrderGateTests {
    /// An account's lock: every account's is made on this one line, so they are one class.
    static func account(_ owner: String) -> CheckedMutex { CheckedMutex("account \(owner)") }

    /// Three accounts.
    static func accounts() -> (alice: CheckedMutex, bob: CheckedMutex, carol: CheckedMutex) {
        (account("alice"), account("bob"), account("carol"))
    }

    /// The report of a cycle among the accounts closed by acquiring `acquired` holding `held`.
    static func expectInstanceCycle(
        _ violations: [Violation], acquired: String, held: String, edges: Int = 2,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(violations.count == 1, "\(violations.map(\.message))", sourceLocation: sourceLocation)
        guard let violation = violations.first else { return }
        #expect(violation.kind == .orderCycle, sourceLocation: sourceLocation)
        #expect(
            violation.message.hasPrefix(
                "order cycle: acquiring \(acquired) while holding \(held) closes the cycle ")
                && violation.message.hasSuffix(" among locks of one class"),
            "\(violation.message)", sourceLocation: sourceLocation)
        #expect(violation.cycle?.count == edges, "\(violation.cycle ?? [])", sourceLocation: sourceLocation)
        #expect(violation.cycle?.allSatisfy(\.isAmongInstances) == true, sourceLocation: sourceLocation)
    }

    @Test("transfers both ways, each under the bank's lock: silent, and kept as serialised by it")
    func serialisedTransfersAreSilentAndCounted() throws {
        let bank = CheckedMutex("bank")
        let (alice, bob, _) = Self.accounts()
        var serialised: [LearnedOrderSnapshot.SerialisedCycle] = []
        let violations = LockOrder.withChecking(learnsOrder: true) {
            for _ in 0..<2 {
                TestThread.runAndWait { bank.withLock { takeInOrder(alice, bob) } }
                TestThread.runAndWait { bank.withLock { takeInOrder(bob, alice) } }
            }
            serialised = LockOrder.learnedGraph().serialisedCycles ?? []
        }
        #expect(violations.isEmpty, "\(violations.map(\.message))")
        try #require(serialised.count == 1, "\(serialised)")
        #expect(serialised[0].gate == "bank")
        #expect(serialised[0].cycle == ["account bob", "account alice", "account bob"])
    }

    @Test("one transfer without the bank's lock after the serialised ones: reported when it comes")
    func transferWithoutGateIsReported() {
        let bank = CheckedMutex("bank")
        let (alice, bob, _) = Self.accounts()
        var serialisedAfter: [LearnedOrderSnapshot.SerialisedCycle]?
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait { bank.withLock { takeInOrder(alice, bob) } }
            TestThread.runAndWait { bank.withLock { takeInOrder(bob, alice) } }
            TestThread.runAndWait { takeInOrder(alice, bob) }
            serialisedAfter = LockOrder.learnedGraph().serialisedCycles
        }
        Self.expectInstanceCycle(violations, acquired: "account bob", held: "account alice")
        #expect(serialisedAfter == nil, "the reported cycle is no longer listed as serialised")
    }

    @Test("the transfer without the bank's lock first, then both ways under it: reported at the closing one")
    func transferWithoutGateFirstIsReported() {
        let bank = CheckedMutex("bank")
        let (alice, bob, _) = Self.accounts()
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait { takeInOrder(alice, bob) }
            TestThread.runAndWait { bank.withLock { takeInOrder(alice, bob) } }
            TestThread.runAndWait { bank.withLock { takeInOrder(bob, alice) } }
        }
        Self.expectInstanceCycle(violations, acquired: "account alice", held: "account bob")
    }

    @Test("the two directions under two different locks: the gates differ, reported")
    func differentGatesAreReported() {
        let bank = CheckedMutex("bank")
        let audit = CheckedMutex("audit")
        let (alice, bob, _) = Self.accounts()
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait { bank.withLock { takeInOrder(alice, bob) } }
            TestThread.runAndWait { audit.withLock { takeInOrder(bob, alice) } }
        }
        Self.expectInstanceCycle(violations, acquired: "account alice", held: "account bob")
    }

    @Test("a serialised transfer still closes an unserialised cycle through a third account: reported")
    func cycleThroughSerialisedEdgeIsReported() {
        let bank = CheckedMutex("bank")
        let (alice, bob, carol) = Self.accounts()
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait { bank.withLock { takeInOrder(alice, bob) } }
            TestThread.runAndWait { bank.withLock { takeInOrder(bob, alice) } }  // bob -> alice, serialised
            TestThread.runAndWait { takeInOrder(alice, carol) }
            TestThread.runAndWait { takeInOrder(carol, bob) }  // closes bob -> alice -> carol -> bob
        }
        Self.expectInstanceCycle(violations, acquired: "account bob", held: "account carol", edges: 3)
        let locks = violations.first?.cycle?.map { "\($0.fromLock ?? "?") -> \($0.toLock ?? "?")" }
        #expect(
            locks == [
                "account carol -> account bob", "account bob -> account alice",
                "account alice -> account carol",
            ],
            "the serialised edge's evidence is in the report")
    }

    @Test("a destroyed account takes its serialised cycles with it")
    func destroyedLockForgetsSerialisedEdges() {
        let bank = CheckedMutex("bank")
        let (alice, _, carol) = Self.accounts()
        var serialised: [LearnedOrderSnapshot.SerialisedCycle]?
        let violations = LockOrder.withChecking(learnsOrder: true) {
            do {
                let bob = Self.account("bob")
                TestThread.runAndWait { bank.withLock { takeInOrder(alice, bob) } }
                TestThread.runAndWait { bank.withLock { takeInOrder(bob, alice) } }
            }
            TestThread.runAndWait { takeInOrder(alice, carol) }
            serialised = LockOrder.learnedGraph().serialisedCycles
        }
        #expect(violations.isEmpty, "\(violations.map(\.message))")
        #expect(serialised == nil, "\(serialised ?? [])")
    }
}
