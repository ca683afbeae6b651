import LockOrderTestSupport
import Testing

@testable import LockCore

/// The `with` forms release on every exit: a throw from the body is rethrown unchanged (with
/// its type: typed throws) and the lock is free afterwards.
@Suite("A throwing body releases the lock")
struct ThrowingBodyTests {
    @Test(
        "withLock rethrows the same error and the lock is free afterwards", arguments: ExclusiveKind.allCases)
    func withLockReleasesOnThrow(kind: ExclusiveKind) {
        let lock = kind.make("thrown through")
        #expect(throws: TestError.boom(1)) {
            try lock.withLock { () throws(TestError) in throw .boom(1) }
        }
        #expect(anotherThreadCanTake(lock))
        #expect(lock.tryLock(), "the throwing thread holds nothing either")
        lock.unlock()
    }

    @Test("withLock keeps the error's type (typed throws)")
    func withLockKeepsTheErrorType() {
        let lock = CheckedMutex("typed")
        do throws(TestError) {
            try lock.withLock { () throws(TestError) in throw .boom(2) }
            Issue.record("the body's error was not rethrown")
        } catch {
            // `error` is a TestError here, not `any Error`: the typed throw came through.
            #expect(error == .boom(2))
        }
        #expect(anotherThreadCanTake(lock))
    }

    @Test("withLock returns the body's value and releases", arguments: ExclusiveKind.allCases)
    func withLockReturnsTheValue(kind: ExclusiveKind) {
        let lock = kind.make("returning")
        #expect(lock.withLock { 42 } == 42)
        #expect(anotherThreadCanTake(lock))
    }

    @Test(
        "a throw out of a nested reentrant withLock releases every level", arguments: ReentrantKind.allCases)
    func nestedReentrantThrowReleasesAll(kind: ReentrantKind) {
        let lock = kind.make("nested")
        #expect(throws: TestError.boom(3)) {
            try lock.withLock { () throws(TestError) in
                try lock.withLock { () throws(TestError) in throw .boom(3) }
            }
        }
        #expect(lock.holdCount == 0)
        #expect(anotherThreadCanTake(lock))
    }

    @Test(
        "withReadLock and withWriteLock rethrow and release",
        arguments: [CheckedReadWriteLock.Fairness.readerPreferring, .writerPreferring])
    func readWriteWithFormsReleaseOnThrow(fairness: CheckedReadWriteLock.Fairness) {
        let rwlock = CheckedReadWriteLock("thrown through", fairness: fairness)
        #expect(throws: TestError.boom(4)) {
            try rwlock.withReadLock { () throws(TestError) in throw .boom(4) }
        }
        #expect(anotherThreadCanWrite(rwlock))
        #expect(throws: TestError.boom(5)) {
            try rwlock.withWriteLock { () throws(TestError) in throw .boom(5) }
        }
        #expect(anotherThreadCanWrite(rwlock))
    }

    @Test("LockedValue.withLock rethrows, releases, and keeps what the body wrote before the throw")
    func lockedValueReleasesOnThrow() {
        let value = LockedValue([1, 2], name: "list")
        #expect(throws: TestError.boom(6)) {
            try value.withLock { (list) throws(TestError) in
                list.append(3)
                throw .boom(6)
            }
        }
        #expect(anotherThreadCanTake(value.mutex))
        #expect(value.withLock { $0 } == [1, 2, 3])
    }

    @Test(
        "with checking on: a throw through each with form reports nothing", arguments: ExclusiveKind.allCases)
    func throwReportsNothing(kind: ExclusiveKind) {
        let violations = LockOrder.withChecking {
            let lock = kind.make("thrown through")
            #expect(throws: TestError.boom(7)) {
                try lock.withLock { () throws(TestError) in throw .boom(7) }
            }
            let value = LockedValue(0, name: "value")
            #expect(throws: TestError.boom(8)) {
                try value.withLock { (_) throws(TestError) in throw .boom(8) }
            }
        }
        #expect(violations.isEmpty)
    }
}
