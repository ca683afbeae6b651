import LockCore
import LockOrderTestSupport
import Testing

@testable import LockOrderChecker

/// Past the learned graph's capacity the checker says so once and keeps every check it still
/// can (docs/graph.md, "Capacities").
@Suite("Learned order: capacity", .serialized)
struct LearnedOrderCapacityTests {
    /// Locks held at once while filling the graph: one slot of the held stack stays free for the
    /// lock being acquired.
    static let heldAtOnce = 47

    @Test("filling the edge table: the notice appears once, the level checks and learned cycles still fire")
    func edgeCapacityOverflow() throws {
        let capacity = ClassOrderGraph.edgeCapacity
        // Holding `heldAtOnce` locks and then taking one more adds one edge per held lock; enough
        // further locks to make a few hundred edges more than the table holds.
        let inHeldSet = Self.heldAtOnce * (Self.heldAtOnce - 1) / 2
        let othersNeeded = (capacity - inHeldSet) / Self.heldAtOnce + 10
        let held = (0..<Self.heldAtOnce).map { CheckedMutex("held \($0)", class: .instance) }
        let others = (0..<othersNeeded).map { CheckedMutex("other \($0)", class: .instance) }
        let hierarchy = try LockHierarchy(
            name: "learned-order-capacity",
            locks: [
                DeclaredLock(name: "capacity.outer", level: 7),
                DeclaredLock(name: "capacity.inner", level: 3),
            ])
        let outer = CheckedMutex(declared: "capacity.outer")
        let inner = CheckedMutex(declared: "capacity.inner")

        var edgesWhenFull = 0
        var violations: [Violation] = []
        let standardError = capturingStandardError {
            violations = LockOrder.withChecking(hierarchy: hierarchy, learnsOrder: true) {
                for lock in held { lock.lock() }
                for lock in others {
                    lock.lock()
                    lock.unlock()
                }
                for lock in held.reversed() { lock.unlock() }
                edgesWhenFull = CheckerState.shared.lock.withLock {
                    CheckerState.shared.learned.graph.edgeCount
                }
                // A new order is no longer learned...
                takeInOrder(outer, inner)
                // ...but the level rule still fires,
                takeInOrder(inner, outer)
                // and what was learned before the table filled still closes cycles.
                takeInOrder(others[0], held[0])
            }
        }
        withExtendedLifetime((held, others)) {}

        #expect(edgesWhenFull == capacity)
        let graphNotice = "lockorder: capacity: the learned order graph is full (\(capacity) edges)"
        #expect(standardError.ranges(of: graphNotice).count == 1, "\(standardError.prefix(2000))")
        let stackNotice =
            "lockorder: capacity: \(ClassOrderGraph.storedStackCapacity) edge backtraces are stored"
        #expect(standardError.ranges(of: stackNotice).count == 1)
        #expect(
            violations.map(\.kind).sorted { $0.rawValue < $1.rawValue } == [.levelInversion, .orderCycle])
        let inversion = try #require(violations.first { $0.kind == .levelInversion })
        #expect(inversion.lock?.className == "capacity.outer")
        let cycle = try #require(violations.first { $0.kind == .orderCycle })
        #expect(cycle.cycle?.map(\.from).map { $0.prefix(7) } == ["other 0", "held 0 "], "\(cycle.message)")
    }

    @Test("edges removed with their destroyed classes give their backtraces back: a later cycle has frames")
    func storedStacksAreReturned() throws {
        let anchor = CheckedMutex("anchor")
        let rounds = ClassOrderGraph.storedStackCapacity + 600
        var storedAfterwards = -1
        var violations: [Violation] = []
        let standardError = capturingStandardError {
            violations = LockOrder.withChecking(learnsOrder: true) {
                // Each short-lived instance lock makes one edge (anchor -> it), which goes with it.
                for _ in 0..<rounds {
                    let shortLived = CheckedMutex("short-lived", class: .instance)
                    takeInOrder(anchor, shortLived)
                }
                storedAfterwards = CheckerState.shared.lock.withLock {
                    CheckerState.shared.learned.storedStacks
                }
                let first = CheckedMutex("cycle first")
                let second = CheckedMutex("cycle second")
                takeInOrder(first, second)
                takeInOrder(second, first)
            }
        }
        #expect(storedAfterwards == 0, "no edge is live, so no backtrace is stored")
        #expect(!standardError.contains("edge backtraces are stored"))
        let cycle = try #require(violations.first { $0.kind == .orderCycle })
        let earlierEdge = try #require(cycle.cycle?.last)
        #expect(!earlierEdge.frames.isEmpty, "the earlier edge of a fresh cycle keeps its backtrace")
    }

    @Test("locks past the class table share the unchecked overflow class, which orders nothing")
    func overflowClassIsNotOrdered() throws {
        let a = CheckedMutex("A")
        var fillers: [CheckedMutex] = []
        var overflowed: [CheckedMutex] = []
        var violations: [Violation] = []
        var graph: LearnedOrderSnapshot?
        let standardError = capturingStandardError {
            violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
                // Fill the class table with instance classes until two locks land in the overflow class.
                while overflowed.count < 2 && fillers.count <= Int(UInt16.max) + 1 {
                    let lock = CheckedMutex("filler", class: .instance)
                    if lock.identity.classID == ClassRegistry.overflowClassID {
                        overflowed.append(lock)
                    } else {
                        fillers.append(lock)
                    }
                }
                guard overflowed.count == 2 else { return }
                // Two different locks that only share the overflow class: X -> A, then A -> Y.
                takeInOrder(overflowed[0], a)
                takeInOrder(a, overflowed[1])
                graph = LockOrder.learnedGraph()
            }
            fillers.removeAll()
        }
        try #require(overflowed.count == 2, "the class table never filled")
        #expect(standardError.ranges(of: "lockorder: capacity: the class table is full").count == 1)
        #expect(violations.isEmpty, "\(violations.map(\.message))")
        let learned = try #require(graph)
        #expect(
            !learned.edges.contains {
                $0.from == "<classes beyond capacity>" || $0.to == "<classes beyond capacity>"
            })
    }
}
