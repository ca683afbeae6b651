import CLockOrderSupport
import LockCore
import LockOrderTestSupport
import Testing

@testable import LockOrderChecker

/// An account whose lock is made in `init`: every account's lock has one class, the line below.
final class BankAccount: @unchecked Sendable {
    let name: String
    let lock: CheckedMutex
    var balance: Int

    init(_ name: String, balance: Int = 100) {
        self.name = name
        lock = CheckedMutex("account \(name)")
        self.balance = balance
    }

    /// The textbook transfer: the source account's lock, then the destination's.
    static func transfer(_ amount: Int, from source: BankAccount, to destination: BankAccount) {
        source.lock.withLock {
            destination.lock.withLock {
                source.balance -= amount
                destination.balance += amount
            }
        }
    }

    /// The fixed transfer: the two locks in one order, the lower lock id first, whichever way the
    /// money goes.
    static func orderedTransfer(_ amount: Int, from source: BankAccount, to destination: BankAccount) {
        let (first, second) =
            source.lock.identity.id < destination.lock.identity.id
            ? (source, destination) : (destination, source)
        first.lock.withLock {
            second.lock.withLock {
                source.balance -= amount
                destination.balance += amount
            }
        }
    }
}

/// R32: locks of one class nested are ordered by instance (lock id), and a cycle among them is
/// an order cycle like a class cycle.
@Suite("Instances of one class: the bank and the philosophers", .serialized)
struct InstanceOrderTests {
    /// The instance cycle a run found, or an issue.
    static func instanceCycle(
        _ reported: [(violation: Violation, finding: Finding?)],
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> (finding: Finding, path: [String], edges: [CycleEdge])? {
        #expect(reported.count == 1, "\(reported.map(\.violation.message))", sourceLocation: sourceLocation)
        guard let finding = reported.first?.finding,
            case .instanceCycle(let path, let edges) = finding.reason
        else {
            Issue.record(
                "no instance cycle: \(reported.map(\.violation.message))", sourceLocation: sourceLocation)
            return nil
        }
        #expect(finding.kind == .orderCycle, sourceLocation: sourceLocation)
        return (finding, path, edges)
    }

    @Test("bank transfer, accounts made in init: alice to bob, then bob to alice, is an order cycle")
    func bankTransferABBA() {
        let reported = LockOrder.withCheckingFindings {
            let alice = BankAccount("alice")
            let bob = BankAccount("bob")
            BankAccount.transfer(10, from: alice, to: bob)
            BankAccount.transfer(5, from: bob, to: alice)
        }
        guard let (finding, path, edges) = Self.instanceCycle(reported) else { return }
        #expect(finding.lock?.name == "account alice")
        #expect(finding.conflicting?.name == "account bob")
        #expect(path == ["account bob", "account alice", "account bob"])
        #expect(edges.map(\.fromLock) == ["account bob", "account alice"])
        #expect(edges.map(\.toLock) == ["account alice", "account bob"])
        #expect(
            Set(edges.flatMap { [$0.from, $0.to] }) == [finding.lock?.className], "the class's own edges")
        #expect(
            edges[1].thread != "this thread (this acquisition)", "the earlier edge keeps where it was seen")
    }

    @Test("bank transfer on two threads, one after the other: reported at the closing acquisition")
    func bankTransferTwoThreads() {
        let reported = LockOrder.withCheckingFindings {
            let alice = BankAccount("alice")
            let bob = BankAccount("bob")
            TestThread.runAndWait { BankAccount.transfer(10, from: alice, to: bob) }
            TestThread.runAndWait { BankAccount.transfer(5, from: bob, to: alice) }
        }
        guard let (finding, path, edges) = Self.instanceCycle(reported) else { return }
        #expect(finding.lock?.name == "account alice")
        #expect(finding.conflicting?.name == "account bob")
        #expect(path == ["account bob", "account alice", "account bob"])
        #expect(edges.first?.thread == "this thread (this acquisition)")
        #expect(
            edges.last?.thread.hasPrefix("this thread") == false, "the first transfer was another thread's")
        #expect(
            reported.first?.violation.message.contains("account bob -> account alice -> account bob") == true)
    }

    @Test("the steady state of one order hits the chain cache; the other order misses it")
    func steadyStateIsCached() {
        var forward: Int32 = -1
        var reverse: Int32 = -1
        let reported = LockOrder.withCheckingFindings {
            let alice = BankAccount("alice")
            let bob = BankAccount("bob")
            for _ in 0..<3 { BankAccount.transfer(1, from: alice, to: bob) }
            let (aliceLock, bobLock) = (alice.lock.identity, bob.lock.identity)
            alice.lock.withLock {
                forward = lockorder_fast_will_acquire(bobLock.id, bobLock.classID, 0, 0, 0)
            }
            bob.lock.withLock {
                reverse = lockorder_fast_will_acquire(aliceLock.id, aliceLock.classID, 0, 0, 0)
            }
        }
        #expect(reported.isEmpty, "\(reported.map(\.violation.message))")
        #expect(forward == Int32(LOCKORDER_FAST_DONE), "alice then bob, seen before: no slow path")
        #expect(reverse == Int32(LOCKORDER_SLOW_LEARN), "bob then alice is a new chain")
    }

    @Test("bank transfer in one order (lower lock id first) both ways: nothing reported")
    func bankOrderedTransferIsSilent() {
        let reported = LockOrder.withCheckingFindings {
            let alice = BankAccount("alice")
            let bob = BankAccount("bob")
            let carol = BankAccount("carol")
            for _ in 0..<3 {
                BankAccount.orderedTransfer(10, from: alice, to: bob)
                BankAccount.orderedTransfer(5, from: bob, to: alice)
                BankAccount.orderedTransfer(1, from: carol, to: alice)
                BankAccount.orderedTransfer(1, from: bob, to: carol)
            }
        }
        #expect(reported.isEmpty, "\(reported.map(\.violation.message))")
    }

    @Test("the steady state in one order is cached, and the reverse order after it is still reported")
    func reverseAfterCachedSteadyState() {
        let reported = LockOrder.withCheckingFindings {
            let alice = BankAccount("alice")
            let bob = BankAccount("bob")
            for _ in 0..<5 { BankAccount.transfer(1, from: alice, to: bob) }
            BankAccount.transfer(1, from: bob, to: alice)
        }
        guard let (_, path, _) = Self.instanceCycle(reported) else { return }
        #expect(path == ["account bob", "account alice", "account bob"])
    }

    @Test("five philosophers, forks made in one loop, each takes left then right: the fifth closes the cycle")
    func diningPhilosophers() {
        let reported = LockOrder.withCheckingFindings {
            let forks = (0..<5).map { CheckedMutex("fork \($0)") }
            for seat in 0..<5 {
                TestThread.runAndWait {
                    forks[seat].withLock { forks[(seat + 1) % 5].withLock {} }
                }
            }
        }
        guard let (finding, path, edges) = Self.instanceCycle(reported) else { return }
        #expect(finding.lock?.name == "fork 0")
        #expect(finding.conflicting?.name == "fork 4")
        #expect(path == ["fork 4", "fork 0", "fork 1", "fork 2", "fork 3", "fork 4"])
        #expect(edges.count == 5)
    }

    @Test("five philosophers, the last one takes right first: nothing reported")
    func orderedPhilosophersAreSilent() {
        let reported = LockOrder.withCheckingFindings {
            let forks = (0..<5).map { CheckedMutex("fork \($0)") }
            for seat in 0..<5 {
                let (left, right) = (seat, (seat + 1) % 5)
                let (first, second) = (min(left, right), max(left, right))
                TestThread.runAndWait { forks[first].withLock { forks[second].withLock {} } }
            }
        }
        #expect(reported.isEmpty, "\(reported.map(\.violation.message))")
    }

    @Test("a destroyed account takes its instance edges with it")
    func destroyedInstancesForgetTheirEdges() {
        var counts: [Int] = []
        let reported = LockOrder.withCheckingFindings {
            let alice = BankAccount("alice")
            do {
                let bob = BankAccount("bob")
                BankAccount.transfer(10, from: alice, to: bob)
                withExtendedLifetime(bob) {
                    counts.append(CheckerState.shared.tables.withLock { $0.instances.graph.edgeCount })
                }
            }
            counts.append(CheckerState.shared.tables.withLock { $0.instances.graph.edgeCount })
            let carol = BankAccount("carol")
            BankAccount.transfer(10, from: carol, to: alice)
        }
        #expect(counts == [1, 0])
        #expect(reported.isEmpty, "\(reported.map(\.violation.message))")
    }

    @Test("two instances with one name: the cycle tells them apart by lock id")
    func sameNamedInstances() {
        let reported = LockOrder.withCheckingFindings {
            let locks = (0..<2).map { _ in CheckedMutex("slot") }
            locks[0].withLock { locks[1].withLock {} }
            locks[1].withLock { locks[0].withLock {} }
        }
        guard let (_, path, _) = Self.instanceCycle(reported) else { return }
        #expect(path.count == 3)
        #expect(path.allSatisfy { $0.hasPrefix("slot #") }, "\(path)")
        #expect(path[0] != path[1])
    }

    @Test(
        "same-class nesting under an instanceOrder exception keeps its rule: instance_order, no instance cycle"
    )
    func instanceOrderExceptionUnchanged() throws {
        let hierarchy = try LockHierarchy(
            name: "pool", locks: [DeclaredLock(name: "pool.slot", level: 2)],
            exceptions: [.instanceOrder(lock: "pool.slot")])
        let reported = LockOrder.withCheckingFindings(hierarchy: hierarchy) {
            let first = CheckedMutex(declared: "pool.slot")
            let second = CheckedMutex(declared: "pool.slot")
            LockOrder.setOrderKey(1, of: first.identity)
            LockOrder.setOrderKey(2, of: second.identity)
            first.withLock { second.withLock {} }
            second.withLock { first.withLock {} }
        }
        #expect(reported.map(\.violation.kind) == [.instanceOrder])
    }

    @Test("same-class nesting under an instanceOrder exception, keys ascending both ways: nothing reported")
    func instanceOrderExceptionAscendingIsSilent() throws {
        let hierarchy = try LockHierarchy(
            name: "pool", locks: [DeclaredLock(name: "pool.slot", level: 2)],
            exceptions: [.instanceOrder(lock: "pool.slot")])
        let reported = LockOrder.withCheckingFindings(hierarchy: hierarchy) {
            let slots = (1...3).map { CheckedMutex(declared: "pool.slot", orderKey: UInt64($0)) }
            for _ in 0..<2 {
                slots[0].withLock { slots[1].withLock {} }
                slots[1].withLock { slots[2].withLock {} }
                slots[0].withLock { slots[2].withLock {} }
            }
            #expect(
                CheckerState.shared.tables.withLock { $0.instances.count } == 0, "not ordered by instance")
        }
        #expect(reported.isEmpty, "\(reported.map(\.violation.message))")
    }

    @Test("the instance order full: said once, then once per class as lockdep says it; other checks go on")
    func capacityNotice() {
        let pairs = InstanceOrderGraph.nodeCapacity / 2 + 1
        var keep: [CheckedMutex] = []
        var reported: [(violation: Violation, finding: Finding?)] = []
        var standardError = ""
        standardError = capturingStandardError {
            reported = LockOrder.withCheckingFindings {
                for _ in 0..<pairs {
                    let pair = (0..<2).map { _ in CheckedMutex("slot") }  // one line: one class
                    pair[0].withLock { pair[1].withLock {} }
                    keep += pair
                }
                // A second class met past the capacity is said once too, however often it nests.
                let forks = (0..<2).map { CheckedMutex("fork \($0)") }
                for _ in 0..<2 { forks[0].withLock { forks[1].withLock {} } }
                keep += forks
                // The class graph still learns and reports.
                let a = CheckedMutex("A")
                let b = CheckedMutex("B")
                a.withLock { b.withLock {} }
                b.withLock { a.withLock {} }
            }
        }
        withExtendedLifetime(keep) {}
        let full =
            "lockorder: capacity: the instance order is full (\(InstanceOrderGraph.nodeCapacity) locks); locks of one "
            + "class nested from now on are not ordered by instance, while every other check goes on\n"
        #expect(standardError.ranges(of: full).count == 1, "\(standardError.prefix(2000))")
        let stacks =
            "lockorder: capacity: \(InstanceOrderGraph.storedStackCapacity) instance-edge backtraces are stored"
        #expect(standardError.ranges(of: stacks).count == 1)
        let notices = standardError.split(separator: "\n").filter {
            $0.hasPrefix("lockorder: two locks of one class nested, not ordered by instance:")
        }
        #expect(notices.count == 2, "\(notices)")
        #expect(notices.first?.contains("acquiring slot (at ") == true, "\(notices)")
        #expect(
            notices.last?.contains("acquiring fork 1 (at LockOrderCheckerTests/InstanceOrderTests.swift:")
                == true, "\(notices)")
        #expect(
            notices.last?.contains(
                "while holding fork 0 (acquired at LockOrderCheckerTests/InstanceOrderTests.swift:") == true)
        #expect(reported.map(\.violation.kind) == [.orderCycle])
        #expect(reported.first?.violation.lock?.name == "A")
    }
}
