import LockCore
import LockOrderTestSupport
import Testing

/// Holds `lock` on a new thread until `release` is signalled; returns once it is held.
func holdOnAnotherThread(_ lock: any ExclusiveLock, until release: Semaphore) -> TestThread {
    let held = Semaphore()
    let holder = TestThread {
        lock.lock()
        held.signal()
        release.wait()
        lock.unlock()
    }
    held.wait()
    return holder
}

/// tryLock never waits and returns true only with the lock held; tryLock(for:) waits at most
/// its timeout.
@Suite("tryLock and tryLock(for:)")
struct TryLockTests {
    @Test(
        "tryLock on a free lock: true, and then it is held (another thread's tryLock fails)",
        arguments: ExclusiveKind.allCases)
    func tryLockTakesAFreeLock(kind: ExclusiveKind) {
        let lock = kind.make("free")
        #expect(lock.tryLock())
        #expect(!anotherThreadCanTake(lock))
        lock.unlock()
        #expect(anotherThreadCanTake(lock))
    }

    @Test(
        "tryLock while another thread holds it: false, and nothing is held afterwards",
        arguments: ExclusiveKind.allCases)
    func tryLockFailsOnAHeldLock(kind: ExclusiveKind) {
        let lock = kind.make("busy")
        let release = Semaphore()
        let holder = holdOnAnotherThread(lock, until: release)
        #expect(!lock.tryLock())
        release.signal()
        holder.join()
        // Had the failed attempt taken anything, a third thread could not take the lock now.
        #expect(anotherThreadCanTake(lock))
    }

    @Test(
        "tryLock(for:) while another thread holds it: false after at least the timeout",
        arguments: ExclusiveKind.allCases)
    func timedTryLockTimesOut(kind: ExclusiveKind) {
        let lock = kind.make("busy")
        let release = Semaphore()
        let holder = holdOnAnotherThread(lock, until: release)
        let timeout = Duration.milliseconds(50)
        let clock = ContinuousClock()
        let start = clock.now
        let taken = lock.tryLock(for: timeout)
        let waited = clock.now - start
        #expect(!taken)
        #expect(waited >= timeout)
        release.signal()
        holder.join()
        #expect(anotherThreadCanTake(lock))
    }

    @Test("tryLock(for:) on a free lock: true at once", arguments: ExclusiveKind.allCases)
    func timedTryLockTakesAFreeLock(kind: ExclusiveKind) {
        let lock = kind.make("free")
        #expect(lock.tryLock(for: .seconds(10)))
        #expect(!anotherThreadCanTake(lock))
        lock.unlock()
        #expect(anotherThreadCanTake(lock))
    }

    @Test(
        "tryLock(for:) gets the lock when it is freed within the timeout", arguments: ExclusiveKind.allCases)
    func timedTryLockGetsALockFreedInTime(kind: ExclusiveKind) {
        let lock = kind.make("soon free")
        let release = Semaphore()
        let holder = holdOnAnotherThread(lock, until: release)
        // The holder is told to let go as the attempt starts; the timeout is far longer than
        // the hand-over takes.
        release.signal()
        #expect(lock.tryLock(for: .seconds(10)))
        #expect(!anotherThreadCanTake(lock))
        lock.unlock()
        holder.join()
    }

    @Test(
        "tryLock(for:) with a zero or negative timeout is an immediate try (no trap under one second)",
        arguments: ExclusiveKind.allCases)
    func nonPositiveTimeoutIsAnImmediateTry(kind: ExclusiveKind) {
        let lock = kind.make("impatient")
        for timeout in [Duration.milliseconds(-5), .nanoseconds(-1), .seconds(-2), .zero] {
            #expect(lock.tryLock(for: timeout), "a free lock is taken with timeout \(timeout)")
            lock.unlock()
        }
        let release = Semaphore()
        let holder = holdOnAnotherThread(lock, until: release)
        #expect(!lock.tryLock(for: .milliseconds(-5)))
        #expect(!lock.tryLock(for: .zero))
        release.signal()
        holder.join()
        #expect(anotherThreadCanTake(lock))
    }

    @Test("with checking on: the try forms report nothing", arguments: ExclusiveKind.allCases)
    func tryFormsReportNothing(kind: ExclusiveKind) {
        let violations = LockOrder.withChecking {
            let lock = kind.make("tried")
            #expect(lock.tryLock())
            lock.unlock()
            #expect(lock.tryLock(for: .milliseconds(10)))
            lock.unlock()
            let release = Semaphore()
            let holder = holdOnAnotherThread(lock, until: release)
            #expect(!lock.tryLock())
            #expect(!lock.tryLock(for: .milliseconds(10)))
            release.signal()
            holder.join()
        }
        #expect(violations.isEmpty)
    }
}
