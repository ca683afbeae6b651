import LockCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Locking a non-reentrant lock that the thread already holds can never succeed: the checker
/// reports it before blocking and then stops the process, in every mode (going on would hang).
/// Each case runs in a child process (a Swift Testing exit test) that must die of SIGABRT after
/// printing the report.
@Suite("Self-deadlock (AA): reported, then the process stops")
struct SelfDeadlockTests {
    static let stopLine =
        "lockorder: stopping the process after this report (a certain self-deadlock: going on would hang)"

    /// The child's stderr, as text.
    static func standardError(_ result: ExitTest.Result?) -> String {
        String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    }

    @Test("CheckedMutex: lock, lock")
    func mutexLockLock() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            _ = LockOrder.withChecking(printsReports: true) {
                let lock = CheckedMutex("config")
                lock.lock()
                lock.lock()
            }
        }
        let stderr = Self.standardError(result)
        #expect(
            stderr.contains(
                "lockorder: self deadlock: acquiring config, which this thread already holds (Mutex is not reentrant)\n"
            ))
        #expect(stderr.contains(Self.stopLine))
    }

    @Test("CheckedMutex: lock, tryLock(for:): a timed attempt is a self-deadlock too")
    func mutexLockTimed() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            _ = LockOrder.withChecking(printsReports: true) {
                let lock = CheckedMutex("config")
                lock.lock()
                _ = lock.tryLock(for: .seconds(1))
            }
        }
        #expect(
            Self.standardError(result).contains(
                "lockorder: self deadlock: acquiring config, which this thread already holds (Mutex is not reentrant)\n"
            ))
    }

    @Test("CheckedMutex: withLock inside withLock")
    func mutexNestedWithLock() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            _ = LockOrder.withChecking(printsReports: true) {
                let lock = CheckedMutex("config")
                lock.withLock { lock.withLock {} }
            }
        }
        #expect(
            Self.standardError(result).contains(
                "lockorder: self deadlock: acquiring config, which this thread already holds (Mutex is not reentrant)\n"
            ))
    }

    @Test("LockedValue: withLock inside withLock")
    func lockedValueNestedWithLock() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            _ = LockOrder.withChecking(printsReports: true) {
                let value = LockedValue(0, name: "total")
                value.withLock { _ in value.withLock { _ in } }
            }
        }
        #expect(
            Self.standardError(result).contains(
                "lockorder: self deadlock: acquiring total, which this thread already holds (Mutex is not reentrant)\n"
            ))
    }

    @Test("CheckedSpinLock: lock, lock")
    func spinLockLockLock() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            _ = LockOrder.withChecking(printsReports: true) {
                let lock = CheckedSpinLock("counter")
                lock.lock()
                lock.lock()
            }
        }
        let stderr = Self.standardError(result)
        #expect(
            stderr.contains(
                "lockorder: self deadlock: acquiring counter, which this thread already holds (SpinLock is not reentrant)\n"
            ))
        #expect(stderr.contains(Self.stopLine))
    }

    @Test("CheckedSpinLock: lock, tryLock(for:)")
    func spinLockLockTimed() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            _ = LockOrder.withChecking(printsReports: true) {
                let lock = CheckedSpinLock("counter")
                lock.lock()
                _ = lock.tryLock(for: .seconds(1))
            }
        }
        #expect(
            Self.standardError(result).contains(
                "lockorder: self deadlock: acquiring counter, which this thread already holds (SpinLock is not reentrant)\n"
            ))
    }

    @Test("CheckedReadWriteLock: write, write")
    func readWriteWriteWrite() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            _ = LockOrder.withChecking(printsReports: true) {
                let rwlock = CheckedReadWriteLock("table")
                rwlock.lockWrite()
                rwlock.lockWrite()
            }
        }
        #expect(
            Self.standardError(result).contains(
                "lockorder: self deadlock: acquiring table, which this thread already holds (ReadWriteLock (reader-preferring) is not reentrant)\n"
            ))
    }

    @Test("CheckedReadWriteLock: read, then write (an upgrade)")
    func readWriteUpgrade() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            _ = LockOrder.withChecking(printsReports: true) {
                let rwlock = CheckedReadWriteLock("table")
                rwlock.lockRead()
                rwlock.lockWrite()
            }
        }
        let stderr = Self.standardError(result)
        #expect(
            stderr.contains(
                "lockorder: self deadlock: acquiring table exclusive while this thread holds it shared (an upgrade waits for itself)\n"
            ))
        #expect(stderr.contains(Self.stopLine))
    }

    @Test("CheckedReadWriteLock: write, then read")
    func readWriteWriteRead() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            _ = LockOrder.withChecking(printsReports: true) {
                let rwlock = CheckedReadWriteLock("table", fairness: .writerPreferring)
                rwlock.lockWrite()
                rwlock.lockRead()
            }
        }
        #expect(
            Self.standardError(result).contains(
                "lockorder: self deadlock: acquiring table shared while this thread holds it exclusive\n"
            ))
    }

    @Test("CheckedReadWriteLock: read, then tryLockWrite(for:)")
    func readWriteTimedUpgrade() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            _ = LockOrder.withChecking(printsReports: true) {
                let rwlock = CheckedReadWriteLock("table")
                rwlock.lockRead()
                _ = rwlock.tryLockWrite(for: .seconds(1))
            }
        }
        #expect(
            Self.standardError(result).contains(
                "lockorder: self deadlock: acquiring table exclusive while this thread holds it shared (an upgrade waits for itself)\n"
            ))
    }

    /// The counterpart: a tryLock of a held non-reentrant lock cannot deadlock, so it is not
    /// a self-deadlock: it just fails.
    @Test(
        "lock, tryLock: not a self-deadlock; the try fails and nothing is reported",
        arguments: ExclusiveKind.nonReentrant)
    func tryLockOfAHeldLockJustFails(kind: ExclusiveKind) {
        let violations = LockOrder.withChecking {
            let lock = kind.make("held")
            lock.lock()
            #expect(!lock.tryLock())
            lock.unlock()
            #expect(anotherThreadCanTake(lock))
        }
        #expect(violations.isEmpty)
    }
}
