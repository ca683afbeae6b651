import LockCore
import LockOrderTestSupport
import Testing

/// Mutual exclusion under contention: four threads each add 20,000 to a counter that has no
/// synchronization of its own; only a lock that excludes keeps the total exact.
@Suite("Mutual exclusion under contention")
struct MutualExclusionTests {
    static let threads = 4
    static let increments = 20_000

    @Test("lock/unlock: 4 threads x 20,000 increments give exactly 80,000", arguments: ExclusiveKind.allCases)
    func lockUnlockExcludes(kind: ExclusiveKind) {
        let lock = kind.make("counter")
        let counter = UnprotectedCounter()
        TestThread.runConcurrently(Self.threads) { _ in
            for _ in 0..<Self.increments {
                lock.lock()
                counter.value += 1
                lock.unlock()
            }
        }
        #expect(counter.value == 80_000)
    }

    @Test("withLock: 4 threads x 20,000 increments give exactly 80,000", arguments: ExclusiveKind.allCases)
    func withLockExcludes(kind: ExclusiveKind) {
        let lock = kind.make("counter")
        let counter = UnprotectedCounter()
        TestThread.runConcurrently(Self.threads) { _ in
            for _ in 0..<Self.increments {
                lock.withLock { counter.value += 1 }
            }
        }
        #expect(counter.value == 80_000)
    }

    @Test("with checking on: exact count and no violation", arguments: ExclusiveKind.allCases)
    func excludesWithCheckingOn(kind: ExclusiveKind) {
        let counter = UnprotectedCounter()
        let violations = LockOrder.withChecking {
            let lock = kind.make("counter")
            TestThread.runConcurrently(Self.threads) { _ in
                for _ in 0..<Self.increments {
                    lock.lock()
                    counter.value += 1
                    lock.unlock()
                }
            }
        }
        #expect(counter.value == 80_000)
        #expect(violations.isEmpty)
    }

    @Test("LockedValue: 4 threads x 20,000 increments of the protected value give exactly 80,000")
    func lockedValueExcludes() {
        let total = LockedValue(0, name: "total")
        TestThread.runConcurrently(Self.threads) { _ in
            for _ in 0..<Self.increments {
                total.withLock { $0 += 1 }
            }
        }
        #expect(total.withLock { $0 } == 80_000)
    }

    @Test("LockedValue with checking on: exact count and no violation")
    func lockedValueExcludesWithCheckingOn() {
        let total = LockedValue(0, name: "total")
        let violations = LockOrder.withChecking {
            TestThread.runConcurrently(Self.threads) { _ in
                for _ in 0..<Self.increments {
                    total.withLock { $0 += 1 }
                }
            }
        }
        #expect(total.withLock { $0 } == 80_000)
        #expect(violations.isEmpty)
    }

    /// Two writers keep `first == second` under the write lock while two readers check it under
    /// the read lock: a reader that sees them differ saw a half-done write.
    @Test(
        "rwlock: writers exclude each other and readers (no torn read, exact count)",
        arguments: [CheckedReadWriteLock.Fairness.readerPreferring, .writerPreferring])
    func readWriteLockExcludes(fairness: CheckedReadWriteLock.Fairness) {
        let rwlock = CheckedReadWriteLock("pair", fairness: fairness)
        let first = UnprotectedCounter()
        let second = UnprotectedCounter()
        let readerTorn = [Box(0), Box(0)]
        TestThread.runConcurrently(Self.threads) { index in
            if index < 2 {
                for _ in 0..<Self.increments {
                    rwlock.withWriteLock {
                        first.value += 1
                        second.value += 1
                    }
                }
            } else {
                for _ in 0..<Self.increments {
                    let torn = rwlock.withReadLock { first.value != second.value }
                    if torn { readerTorn[index - 2].value += 1 }
                }
            }
        }
        #expect(first.value == 40_000)
        #expect(second.value == 40_000)
        #expect(readerTorn[0].value + readerTorn[1].value == 0)
    }
}
