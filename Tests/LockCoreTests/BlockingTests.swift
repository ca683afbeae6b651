import LockCore
import LockOrderTestSupport
import Synchronization
import Testing

/// lock() blocks while another thread holds the lock, proven without sleeping: the waiting
/// thread signals once lock() returns, and a bounded wait for that signal must time out while
/// the lock is held, then succeed once it is released.
@Suite("Blocking, proven by a wait that must time out")
struct BlockingTests {
    static let mustTimeOut = Duration.milliseconds(100)
    static let generous = Duration.seconds(10)

    @Test(
        "B blocks in lock() while A holds it, and acquires once A unlocks", arguments: ExclusiveKind.allCases)
    func lockBlocksUntilReleased(kind: ExclusiveKind) {
        let lock = kind.make("contended")
        let started = Semaphore()
        let acquired = Semaphore()
        let hasAcquired = Atomic<Bool>(false)
        lock.lock()
        let waiter = TestThread {
            started.signal()
            lock.lock()
            hasAcquired.store(true, ordering: .sequentiallyConsistent)
            acquired.signal()
            lock.unlock()
        }
        started.wait()
        #expect(!acquired.wait(timeout: Self.mustTimeOut), "B got the lock while A held it")
        let acquiredWhileHeld = hasAcquired.load(ordering: .sequentiallyConsistent)
        #expect(!acquiredWhileHeld)
        lock.unlock()
        #expect(acquired.wait(timeout: Self.generous), "B never got the lock after A released it")
        let acquiredAfterRelease = hasAcquired.load(ordering: .sequentiallyConsistent)
        #expect(acquiredAfterRelease)
        waiter.join()
    }

    @Test("the same with checking on: blocking is not reported", arguments: ExclusiveKind.allCases)
    func lockBlocksWithCheckingOn(kind: ExclusiveKind) {
        let violations = LockOrder.withChecking {
            let lock = kind.make("contended")
            let started = Semaphore()
            let acquired = Semaphore()
            lock.lock()
            let waiter = TestThread {
                started.signal()
                lock.lock()
                acquired.signal()
                lock.unlock()
            }
            started.wait()
            #expect(!acquired.wait(timeout: Self.mustTimeOut))
            lock.unlock()
            #expect(acquired.wait(timeout: Self.generous))
            waiter.join()
        }
        #expect(violations.isEmpty)
    }

    @Test(
        "rwlock: a reader blocks while a writer holds it",
        arguments: [CheckedReadWriteLock.Fairness.readerPreferring, .writerPreferring])
    func readerBlocksOnWriter(fairness: CheckedReadWriteLock.Fairness) {
        let rwlock = CheckedReadWriteLock("table", fairness: fairness)
        let started = Semaphore()
        let acquired = Semaphore()
        rwlock.lockWrite()
        let reader = TestThread {
            started.signal()
            rwlock.lockRead()
            acquired.signal()
            rwlock.unlockRead()
        }
        started.wait()
        #expect(!acquired.wait(timeout: Self.mustTimeOut), "a reader got in while a writer held the lock")
        rwlock.unlockWrite()
        #expect(acquired.wait(timeout: Self.generous))
        reader.join()
    }

    @Test(
        "rwlock: a writer blocks while a reader holds it",
        arguments: [CheckedReadWriteLock.Fairness.readerPreferring, .writerPreferring])
    func writerBlocksOnReader(fairness: CheckedReadWriteLock.Fairness) {
        let rwlock = CheckedReadWriteLock("table", fairness: fairness)
        let started = Semaphore()
        let acquired = Semaphore()
        rwlock.lockRead()
        let writer = TestThread {
            started.signal()
            rwlock.lockWrite()
            acquired.signal()
            rwlock.unlockWrite()
        }
        started.wait()
        #expect(!acquired.wait(timeout: Self.mustTimeOut), "a writer got in while a reader held the lock")
        rwlock.unlockRead()
        #expect(acquired.wait(timeout: Self.generous))
        writer.join()
    }
}
