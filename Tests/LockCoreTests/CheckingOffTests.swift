import LockCore
import LockOrderTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Outside `withChecking` (and with LOCKORDER_CHECK unset) nothing is checked: misuse that a
/// checking session reports is not reported, and the locks still work.
@Suite("Checking off")
struct CheckingOffTests {
    /// Whether the environment switched checking on for the whole run (then this suite has
    /// nothing to observe).
    static let environmentChecks: Bool = {
        guard let value = getenv("LOCKORDER_CHECK") else { return false }
        let text = String(cString: value)
        return !(text.isEmpty || text == "0" || text == "off")
    }()

    @Test(
        "reentrant unlock past zero is ignored: no report, no crash, the lock still works",
        .enabled(if: !environmentChecks), arguments: ReentrantKind.allCases)
    func reentrantUnlockPastZeroIgnored(kind: ReentrantKind) {
        let lock = kind.make("counted")
        let stderr = capturingStandardError {
            lock.lock()
            lock.lock()
            lock.unlock()
            lock.unlock()
            lock.unlock()
        }
        #expect(stderr == "")
        #expect(lock.holdCount == 0)
        #expect(anotherThreadCanTake(lock))
        lock.lock()
        #expect(lock.holdCount == 1)
        lock.unlock()
        #expect(anotherThreadCanTake(lock))
    }

    @Test(
        "reentrant unlock by a thread that does not hold it is ignored",
        .enabled(if: !environmentChecks), arguments: ReentrantKind.allCases)
    func reentrantUnlockByNonOwnerIgnored(kind: ReentrantKind) {
        let lock = kind.make("counted")
        lock.lock()
        let stderr = capturingStandardError {
            TestThread.runAndWait { lock.unlock() }
        }
        #expect(stderr == "")
        #expect(lock.holdCount == 1)
        #expect(!anotherThreadCanTake(lock))
        lock.unlock()
        #expect(anotherThreadCanTake(lock))
    }

    @Test(
        "an order inversion is not reported", .enabled(if: !environmentChecks),
        arguments: ExclusiveKind.allCases)
    func orderInversionNotReported(kind: ExclusiveKind) {
        let a = kind.make("a")
        let b = kind.make("b")
        let stderr = capturingStandardError {
            a.withLock { b.withLock {} }
            b.withLock { a.withLock {} }
        }
        #expect(stderr == "")
        #expect(!LockOrder.isChecking)
    }

    @Test("a thread ending with a lock held is not reported", .enabled(if: !environmentChecks))
    func heldAtExitNotReported() {
        let lock = CheckedSpinLock("left behind")
        keepForever(lock)
        let stderr = capturingStandardError {
            TestThread.runAndWait { lock.lock() }
        }
        #expect(stderr == "")
        #expect(!lock.tryLock())
    }

    @Test("a withChecking session ends by switching checking back off", .enabled(if: !environmentChecks))
    func sessionRestoresOff() {
        let lock = CheckedMutex("m")
        lock.withLock {}
        #expect(!LockOrder.isChecking)
        _ = LockOrder.withChecking {
            #expect(LockOrder.isChecking)
        }
        #expect(!LockOrder.isChecking)
    }

    /// Unchecked, a lock dropped while held is not reported; it is freed (glibc refuses to
    /// destroy a held pthread mutex, and nothing can reach the lock any more), and the process
    /// goes on.
    @Test("destroying a held lock of any kind just frees it", .enabled(if: !environmentChecks))
    func destroyingHeldLocksFrees() {
        let stderr = capturingStandardError {
            do {
                let mutex = CheckedMutex("doomed")
                mutex.lock()
            }
            do {
                let reentrant = CheckedReentrantMutex("doomed")
                reentrant.lock()
                reentrant.lock()
            }
            do {
                let spin = CheckedSpinLock("doomed")
                spin.lock()
            }
            do {
                let reentrantSpin = CheckedReentrantSpinLock("doomed")
                reentrantSpin.lock()
            }
        }
        #expect(stderr == "")
    }
}
