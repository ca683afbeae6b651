import LockCore
import LockOrderTestSupport
import Testing

/// How each kind of acquisition takes part in lock-order checking (learned order, no declared
/// levels: the locks here are classed by their creation site).
@Suite("Taking part in order checking")
struct OrderParticipationTests {
    @Test("ABBA with blocking acquisitions is an order cycle", arguments: ExclusiveKind.allCases)
    func blockingABBA(kind: ExclusiveKind) throws {
        let violations = LockOrder.withChecking {
            let a = kind.make("a")
            let b = kind.make("b")
            a.withLock { b.withLock {} }
            b.withLock { a.withLock {} }
        }
        #expect(violations.map(\.kind) == [.orderCycle])
        let message = try #require(violations.first?.message)
        #expect(message == "order cycle: acquiring a while holding b closes the cycle b -> a -> b")
    }

    @Test("ABBA where the second A is a tryLock: exempt, nothing reported", arguments: ExclusiveKind.allCases)
    func tryLockIsExempt(kind: ExclusiveKind) {
        let violations = LockOrder.withChecking {
            let a = kind.make("a")
            let b = kind.make("b")
            a.withLock { b.withLock {} }
            b.withLock {
                if a.tryLock() { a.unlock() }
            }
        }
        #expect(violations.isEmpty)
    }

    @Test(
        "a lock held through tryLock orders later acquisitions: BA, then try-A B, is a cycle",
        arguments: ExclusiveKind.allCases)
    func tryLockHeldOrdersLater(kind: ExclusiveKind) throws {
        let violations = LockOrder.withChecking {
            let a = kind.make("a")
            let b = kind.make("b")
            b.withLock { a.withLock {} }
            #expect(a.tryLock())
            b.withLock {}
            a.unlock()
        }
        #expect(violations.map(\.kind) == [.orderCycle])
        #expect(
            violations.first?.message.hasPrefix("order cycle: acquiring b while holding a closes the cycle ")
                == true)
        #expect(violations.first?.held.first?.tryLock == true, "the report shows a was taken by trylock")
    }

    @Test(
        "ABBA where the second A is tryLock(for:): checked like blocking, a cycle",
        arguments: ExclusiveKind.allCases)
    func timedIsCheckedLikeBlocking(kind: ExclusiveKind) throws {
        let violations = LockOrder.withChecking {
            let a = kind.make("a")
            let b = kind.make("b")
            a.withLock { b.withLock {} }
            b.withLock {
                if a.tryLock(for: .milliseconds(10)) { a.unlock() }
            }
        }
        #expect(violations.map(\.kind) == [.orderCycle])
        #expect(
            violations.first?.message.hasPrefix("order cycle: acquiring a while holding b closes the cycle ")
                == true)
    }

    @Test("learning off: ABBA is not reported (no declared levels either)")
    func learningOff() {
        let violations = LockOrder.withChecking(learnsOrder: false) {
            let a = CheckedMutex("a")
            let b = CheckedMutex("b")
            a.withLock { b.withLock {} }
            b.withLock { a.withLock {} }
        }
        #expect(violations.isEmpty)
    }

    // MARK: Reader-writer locks

    @Test("reader-preferring: a cycle made only of reads is no deadlock, nothing reported")
    func readerPreferringReadCycle() {
        let violations = LockOrder.withChecking {
            let a = CheckedReadWriteLock("a", fairness: .readerPreferring)
            let b = CheckedReadWriteLock("b", fairness: .readerPreferring)
            a.withReadLock { b.withReadLock {} }
            b.withReadLock { a.withReadLock {} }
        }
        #expect(violations.isEmpty)
    }

    @Test("writer-preferring: reads order like writes, so a read-only ABBA is a cycle")
    func writerPreferringReadCycle() {
        let violations = LockOrder.withChecking {
            let a = CheckedReadWriteLock("a", fairness: .writerPreferring)
            let b = CheckedReadWriteLock("b", fairness: .writerPreferring)
            a.withReadLock { b.withReadLock {} }
            b.withReadLock { a.withReadLock {} }
        }
        #expect(violations.map(\.kind) == [.orderCycle])
    }

    @Test("reader-preferring: write-then-write against read-then-read is a cycle (each wait conflicts)")
    func readerPreferringMixedCycle() {
        let violations = LockOrder.withChecking {
            let a = CheckedReadWriteLock("a", fairness: .readerPreferring)
            let b = CheckedReadWriteLock("b", fairness: .readerPreferring)
            a.withWriteLock { b.withWriteLock {} }
            b.withReadLock { a.withReadLock {} }
        }
        #expect(violations.map(\.kind) == [.orderCycle])
    }
}
