import LockCore
import LockOrderTestSupport
import Testing

/// Reentrant locks count their holds: the owner may take them again, and they are released
/// when the count returns to zero.
@Suite("Reentrancy counts")
struct ReentrancyTests {
    @Test(
        "AAA then three unlocks: holdCount 3, 2, 1, 0; no other thread gets it until the last",
        arguments: ReentrantKind.allCases)
    func countsThreeHolds(kind: ReentrantKind) {
        let lock = kind.make("counted")
        #expect(lock.holdCount == 0)
        lock.lock()
        lock.lock()
        lock.lock()
        #expect(lock.holdCount == 3)
        #expect(!anotherThreadCanTake(lock))
        #expect(onAnotherThread { lock.holdCount } == 0, "the count belongs to the owning thread")
        lock.unlock()
        #expect(lock.holdCount == 2)
        #expect(!anotherThreadCanTake(lock))
        lock.unlock()
        #expect(lock.holdCount == 1)
        #expect(!anotherThreadCanTake(lock))
        lock.unlock()
        #expect(lock.holdCount == 0)
        #expect(anotherThreadCanTake(lock))
    }

    @Test("re-entry through tryLock and tryLock(for:) counts too", arguments: ReentrantKind.allCases)
    func tryFormsReenter(kind: ReentrantKind) {
        let lock = kind.make("counted")
        lock.lock()
        #expect(lock.tryLock())
        #expect(lock.tryLock(for: .milliseconds(1)))
        #expect(lock.holdCount == 3)
        lock.unlock()
        lock.unlock()
        #expect(!anotherThreadCanTake(lock))
        lock.unlock()
        #expect(lock.holdCount == 0)
        #expect(anotherThreadCanTake(lock))
    }

    @Test("nested withLock re-enters and releases once per level", arguments: ReentrantKind.allCases)
    func nestedWithLock(kind: ReentrantKind) {
        let lock = kind.make("nested")
        let counts = lock.withLock {
            lock.withLock { lock.withLock { [lock.holdCount] } + [lock.holdCount] } + [lock.holdCount]
        }
        #expect(counts == [3, 2, 1])
        #expect(lock.holdCount == 0)
        #expect(anotherThreadCanTake(lock))
    }

    @Test("with checking on, AAA is allowed: no violation", arguments: ReentrantKind.allCases)
    func reentryIsNotAViolation(kind: ReentrantKind) {
        let lock = kind.make("counted")
        let violations = LockOrder.withChecking {
            lock.lock()
            lock.lock()
            lock.lock()
            #expect(lock.holdCount == 3)
            lock.unlock()
            lock.unlock()
            lock.unlock()
        }
        #expect(violations.isEmpty)
        #expect(anotherThreadCanTake(lock))
    }

    /// A then B, then A again while B is held: were the re-entry an acquisition it would add
    /// the edge B -> A and close a cycle with A -> B. It is not, so nothing is reported.
    @Test("re-entry is not an acquisition for the order rules (A B A)", arguments: ReentrantKind.allCases)
    func reentryAddsNoOrder(kind: ReentrantKind) {
        let violations = LockOrder.withChecking {
            let outer = kind.make("outer")
            let inner = kind.make("inner")
            outer.lock()
            inner.lock()
            outer.lock()
            outer.unlock()
            inner.unlock()
            outer.unlock()
        }
        #expect(violations.isEmpty)
    }

    /// The control for the test above: B then A as real acquisitions, after A then B, is an
    /// order cycle (so the test above would see one if re-entry counted).
    @Test("the control: A B, then B A on fresh holds is an order cycle", arguments: ReentrantKind.allCases)
    func realReverseOrderIsACycle(kind: ReentrantKind) {
        let violations = LockOrder.withChecking {
            let outer = kind.make("outer")
            let inner = kind.make("inner")
            outer.lock()
            inner.lock()
            inner.unlock()
            outer.unlock()
            inner.lock()
            outer.lock()
            outer.unlock()
            inner.unlock()
        }
        #expect(violations.map(\.kind) == [.orderCycle])
        #expect(
            violations.first?.message.hasPrefix("order cycle: acquiring outer while holding inner") == true)
    }
}
