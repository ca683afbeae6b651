import LockCore
import LockOrderChecker
import LockOrderTestSupport
import Testing

/// Gate locks (docs/graph.md §12): a cycle whose every edge was only ever taken while one and the
/// same lock was held exclusively cannot deadlock, and is counted instead of reported. Each way
/// the gate can fail to serialise it is reported.
@Suite("Learned order: gate locks", .serialized)
struct LearnedOrderGateTests {
    /// The report of the ABBA cycle closed by acquiring `acquired` while holding `held`.
    static func expectABBAReport(
        _ violations: [Violation], acquired: String, held: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(violations.count == 1, "\(violations.map(\.message))", sourceLocation: sourceLocation)
        guard let violation = violations.first else { return }
        #expect(violation.kind == .orderCycle, sourceLocation: sourceLocation)
        #expect(violation.lock?.name == acquired, sourceLocation: sourceLocation)
        #expect(violation.held.first?.name == held, "most recent first", sourceLocation: sourceLocation)
        #expect(
            violation.message.hasPrefix(
                "order cycle: acquiring \(acquired) while holding \(held) closes the cycle "),
            "\(violation.message)", sourceLocation: sourceLocation)
        #expect(cyclePairs(violation).count == 2, sourceLocation: sourceLocation)
    }

    @Test("ABBA on two threads, both under one gate G: silent, and kept as serialised by G")
    func serialisedABBAIsSilentAndCounted() throws {
        let gate = CheckedMutex("G")
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        var serialised: [LearnedOrderSnapshot.SerialisedCycle] = []
        let violations = LockOrder.withChecking(learnsOrder: true) {
            for _ in 0..<2 {
                TestThread.runAndWait { gate.withLock { takeInOrder(a, b) } }
                TestThread.runAndWait { gate.withLock { takeInOrder(b, a) } }
            }
            serialised = LockOrder.learnedGraph().serialisedCycles ?? []
        }
        #expect(violations.isEmpty, "\(violations.map(\.message))")
        try #require(serialised.count == 1)
        #expect(serialised[0].gate == "G")
        #expect(serialised[0].cycle.count == 3)
        #expect(serialised[0].cycle.first?.hasPrefix("B (") == true, "\(serialised[0].cycle)")
        #expect(serialised[0].cycle.dropFirst().first?.hasPrefix("A (") == true, "\(serialised[0].cycle)")
        #expect(
            serialised[0].count == 1,
            "the second round's threads find the chain in the process-wide chain set: one sighting")
    }

    @Test("the same ABBA where one sighting of A -> B lacked G: reported when that sighting comes")
    func oneSightingWithoutGateIsReported() throws {
        let gate = CheckedMutex("G")
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        var serialisedAfter: [LearnedOrderSnapshot.SerialisedCycle]?
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait { gate.withLock { takeInOrder(a, b) } }
            TestThread.runAndWait { gate.withLock { takeInOrder(b, a) } }
            TestThread.runAndWait { takeInOrder(a, b) }
            serialisedAfter = LockOrder.learnedGraph().serialisedCycles
        }
        Self.expectABBAReport(violations, acquired: "B", held: "A")
        #expect(serialisedAfter == nil, "the reported cycle is no longer listed as serialised")
    }

    @Test("the sighting without G first, then the ABBA under G: reported at the closing acquisition")
    func sightingWithoutGateFirstIsReported() {
        let gate = CheckedMutex("G")
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait { takeInOrder(a, b) }
            TestThread.runAndWait { gate.withLock { takeInOrder(a, b) } }
            TestThread.runAndWait { gate.withLock { takeInOrder(b, a) } }
        }
        Self.expectABBAReport(violations, acquired: "A", held: "B")
    }

    @Test("A -> B under gate G, B -> A under another gate H: the gates differ, reported")
    func differentGatesAreReported() {
        let gate = CheckedMutex("G")
        let otherGate = CheckedMutex("H")
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait { gate.withLock { takeInOrder(a, b) } }
            TestThread.runAndWait { otherGate.withLock { takeInOrder(b, a) } }
        }
        Self.expectABBAReport(violations, acquired: "A", held: "B")
    }

    @Test("G released after A and before B is taken: A -> B was not taken under G, reported")
    func gateReleasedBeforeSecondLockIsReported() {
        let gate = CheckedMutex("G")
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait {
                gate.lock()
                a.lock()
                gate.unlock()
                b.lock()
                b.unlock()
                a.unlock()
            }
            TestThread.runAndWait { gate.withLock { takeInOrder(b, a) } }
        }
        Self.expectABBAReport(violations, acquired: "A", held: "B")
    }

    @Test("G held only as a read side by both threads: readers do not exclude each other, reported")
    func readSideGateIsReported() {
        let gate = CheckedReadWriteLock("G")
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait {
                gate.lockRead()
                takeInOrder(a, b)
                gate.unlockRead()
            }
            TestThread.runAndWait {
                gate.lockRead()
                takeInOrder(b, a)
                gate.unlockRead()
            }
        }
        Self.expectABBAReport(violations, acquired: "A", held: "B")
    }

    @Test("the same with G's write side: it excludes, silent and serialised by G")
    func writeSideGateSerialises() {
        let gate = CheckedReadWriteLock("G")
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        var serialised: [LearnedOrderSnapshot.SerialisedCycle] = []
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait {
                gate.lockWrite()
                takeInOrder(a, b)
                gate.unlockWrite()
            }
            TestThread.runAndWait {
                gate.lockWrite()
                takeInOrder(b, a)
                gate.unlockWrite()
            }
            serialised = LockOrder.learnedGraph().serialisedCycles ?? []
        }
        #expect(violations.isEmpty, "\(violations.map(\.message))")
        #expect(serialised.map(\.gate) == ["G"])
    }

    @Test("a gate class with two locks serialises nothing: G1 and G2 are made at one line, reported")
    func gateClassWithSeveralLocksIsReported() {
        let gates = (0..<2).map { _ in CheckedMutex("G") }
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait { gates[0].withLock { takeInOrder(a, b) } }
            TestThread.runAndWait { gates[0].withLock { takeInOrder(b, a) } }
        }
        Self.expectABBAReport(violations, acquired: "A", held: "B")
    }

    @Test(
        "the gate's class gets a second lock after serialising ABBA: the same thread's cached A -> B under it is reported"
    )
    func gateClassGainingALockIsReported() {
        let makeGate: @Sendable () -> CheckedMutex = { CheckedMutex("G") }  // one class
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait {
                let first = makeGate()
                first.withLock { takeInOrder(a, b) }
                first.withLock { takeInOrder(b, a) }  // serialised by the class's only lock
                let second = makeGate()
                // The chain (G, A, B) is in this thread's cache: without emptying it, this sighting
                // under another lock of G's class would never narrow A -> B.
                second.withLock { takeInOrder(a, b) }
            }
        }
        Self.expectABBAReport(violations, acquired: "B", held: "A")
    }

    @Test("a serialised back edge still closes an unserialised cycle through a third lock: reported")
    func cycleThroughSerialisedEdgeIsReported() {
        let gate = CheckedMutex("G")
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        let c = CheckedMutex("C")
        let violations = LockOrder.withChecking(learnsOrder: true) {
            TestThread.runAndWait { gate.withLock { takeInOrder(a, b) } }
            TestThread.runAndWait { gate.withLock { takeInOrder(b, a) } }  // B -> A, serialised
            TestThread.runAndWait { takeInOrder(a, c) }
            TestThread.runAndWait { takeInOrder(c, b) }  // C -> B closes B -> A -> C -> B
        }
        #expect(violations.count == 1, "\(violations.map(\.message))")
        #expect(violations.first?.kind == .orderCycle)
        #expect(violations.first?.lock?.name == "B")
        #expect(violations.first.map { cyclePairs($0).count } == 3)
    }
}
