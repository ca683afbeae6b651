import LockCore
import LockOrderTestSupport
import Testing

/// The reader-writer lock: readers share, a writer excludes everyone, and the fairness decides
/// whether a thread may re-take a read lock it holds.
@Suite("CheckedReadWriteLock")
struct ReadWriteLockTests {
    static let bothFairnesses: [CheckedReadWriteLock.Fairness] = [.readerPreferring, .writerPreferring]
    static let generous = Duration.seconds(10)

    @Test("the fairness asked for is the fairness reported")
    func fairnessIsKept() {
        #expect(CheckedReadWriteLock("default").fairness == .readerPreferring)
        #expect(CheckedReadWriteLock("readers", fairness: .readerPreferring).fairness == .readerPreferring)
        #expect(CheckedReadWriteLock("writers", fairness: .writerPreferring).fairness == .writerPreferring)
        #expect(
            CheckedReadWriteLock("writers", fairness: .writerPreferring).identity.kind
                == .writerPreferringRWLock)
    }

    /// R1 takes the read lock and waits (bounded) for R2 to say it holds the read lock too; R2
    /// can only say so if lockRead() let it in while R1 still reads.
    @Test("two threads hold the read side at the same time (handshake)", arguments: bothFairnesses)
    func readersShare(fairness: CheckedReadWriteLock.Fairness) {
        let rwlock = CheckedReadWriteLock("shared table", fairness: fairness)
        let firstReads = Semaphore()
        let secondReads = Semaphore()
        let bothReadTogether = Box(false)
        let first = TestThread {
            rwlock.lockRead()
            firstReads.signal()
            bothReadTogether.value = secondReads.wait(timeout: Self.generous)
            rwlock.unlockRead()
        }
        let second = TestThread {
            firstReads.wait()
            rwlock.lockRead()
            secondReads.signal()
            rwlock.unlockRead()
        }
        first.join()
        second.join()
        #expect(bothReadTogether.value)
    }

    @Test(
        "while a writer holds it: tryLockRead and tryLockWrite fail, timed forms time out",
        arguments: bothFairnesses)
    func writerExcludesEveryone(fairness: CheckedReadWriteLock.Fairness) {
        let rwlock = CheckedReadWriteLock("table", fairness: fairness)
        rwlock.lockWrite()
        #expect(!anotherThreadCanRead(rwlock))
        #expect(!anotherThreadCanWrite(rwlock))
        let timeout = Duration.milliseconds(30)
        let (readTaken, readWaited) = onAnotherThread { () -> (Bool, Duration) in
            let clock = ContinuousClock()
            let start = clock.now
            let taken = rwlock.tryLockRead(for: timeout)
            if taken { rwlock.unlockRead() }
            return (taken, clock.now - start)
        }
        #expect(!readTaken)
        #expect(readWaited >= timeout)
        let (writeTaken, writeWaited) = onAnotherThread { () -> (Bool, Duration) in
            let clock = ContinuousClock()
            let start = clock.now
            let taken = rwlock.tryLockWrite(for: timeout)
            if taken { rwlock.unlockWrite() }
            return (taken, clock.now - start)
        }
        #expect(!writeTaken)
        #expect(writeWaited >= timeout)
        rwlock.unlockWrite()
        #expect(anotherThreadCanRead(rwlock))
        #expect(anotherThreadCanWrite(rwlock))
    }

    @Test("while a reader holds it: other readers get in, writers do not", arguments: bothFairnesses)
    func readerExcludesWriters(fairness: CheckedReadWriteLock.Fairness) {
        let rwlock = CheckedReadWriteLock("table", fairness: fairness)
        #expect(rwlock.tryLockRead())
        #expect(anotherThreadCanRead(rwlock))
        #expect(!anotherThreadCanWrite(rwlock))
        #expect(!onAnotherThread { rwlock.tryLockWrite(for: .milliseconds(20)) })
        rwlock.unlockRead()
        #expect(anotherThreadCanWrite(rwlock))
    }

    @Test("tryLockRead(for:) and tryLockWrite(for:) take a free lock", arguments: bothFairnesses)
    func timedFormsTakeAFreeLock(fairness: CheckedReadWriteLock.Fairness) {
        let rwlock = CheckedReadWriteLock("table", fairness: fairness)
        #expect(rwlock.tryLockRead(for: Self.generous))
        #expect(!anotherThreadCanWrite(rwlock))
        rwlock.unlockRead()
        #expect(rwlock.tryLockWrite(for: Self.generous))
        #expect(!anotherThreadCanRead(rwlock))
        rwlock.unlockWrite()
        #expect(anotherThreadCanWrite(rwlock))
    }

    /// On a writer-preferring lock a queued writer holds back new readers: with a reader in and
    /// a writer waiting, another thread's tryLockRead eventually fails (polled, bounded).
    @Test("writer-preferring: a waiting writer holds back new readers")
    func waitingWriterBlocksNewReaders() {
        let rwlock = CheckedReadWriteLock("table", fairness: .writerPreferring)
        rwlock.lockRead()
        let writerDone = Semaphore()
        let writer = TestThread {
            rwlock.lockWrite()
            rwlock.unlockWrite()
            writerDone.signal()
        }
        let clock = ContinuousClock()
        let deadline = clock.now + Self.generous
        var newReaderRefused = false
        while !newReaderRefused && clock.now < deadline {
            newReaderRefused = !anotherThreadCanRead(rwlock)
        }
        #expect(newReaderRefused)
        #expect(
            !writerDone.wait(timeout: .milliseconds(50)), "the writer got in while a reader held the lock")
        rwlock.unlockRead()
        #expect(writerDone.wait(timeout: Self.generous))
        writer.join()
    }

    // MARK: Re-taking the read side

    @Test("reader-preferring: re-taking a held read lock is allowed, and two unlocks free it")
    func readerPreferringReadRetake() {
        let rwlock = CheckedReadWriteLock("table", fairness: .readerPreferring)
        let violations = LockOrder.withChecking {
            rwlock.lockRead()
            rwlock.lockRead()
            rwlock.unlockRead()
            #expect(!anotherThreadCanWrite(rwlock), "one read hold is left")
            rwlock.unlockRead()
            #expect(anotherThreadCanWrite(rwlock), "both read holds were released")
        }
        #expect(violations.isEmpty)
    }

    @Test("reader-preferring: the same with checking off")
    func readerPreferringReadRetakeUnchecked() {
        let rwlock = CheckedReadWriteLock("table", fairness: .readerPreferring)
        rwlock.lockRead()
        rwlock.lockRead()
        rwlock.unlockRead()
        #expect(!anotherThreadCanWrite(rwlock))
        rwlock.unlockRead()
        #expect(anotherThreadCanWrite(rwlock))
    }

    @Test("a read re-take by tryLockRead is exempt, and two unlocks free it", arguments: bothFairnesses)
    func tryReadRetake(fairness: CheckedReadWriteLock.Fairness) {
        let rwlock = CheckedReadWriteLock("table", fairness: fairness)
        let violations = LockOrder.withChecking {
            rwlock.lockRead()
            #expect(rwlock.tryLockRead())
            rwlock.unlockRead()
            #expect(!anotherThreadCanWrite(rwlock))
            rwlock.unlockRead()
            #expect(anotherThreadCanWrite(rwlock))
        }
        #expect(violations.isEmpty)
    }

    @Test("writer-preferring: re-taking a held read lock is a possible self_deadlock, reported and survived")
    func writerPreferringReadRetake() throws {
        let rwlock = CheckedReadWriteLock("table", fairness: .writerPreferring)
        let continued = Box(false)
        let violations = LockOrder.withChecking {
            rwlock.lockRead()
            rwlock.lockRead()
            continued.value = true
            rwlock.unlockRead()
            #expect(!anotherThreadCanWrite(rwlock))
            rwlock.unlockRead()
            #expect(anotherThreadCanWrite(rwlock))
        }
        #expect(continued.value, "the process went on after the report")
        #expect(violations.count == 1)
        let violation = try #require(violations.first)
        #expect(violation.kind == .selfDeadlock)
        #expect(
            violation.message
                == "self deadlock: re-taking the read side of writer-preferring table, which this thread already holds shared"
        )
        #expect(violation.lock?.mode == .shared)
        #expect(violation.lock?.kind == .writerPreferringRWLock)
    }

    @Test("writer-preferring: a timed re-take of a held read lock is reported the same way")
    func writerPreferringTimedReadRetake() throws {
        let rwlock = CheckedReadWriteLock("table", fairness: .writerPreferring)
        let violations = LockOrder.withChecking {
            rwlock.lockRead()
            #expect(rwlock.tryLockRead(for: .milliseconds(10)))
            rwlock.unlockRead()
            rwlock.unlockRead()
        }
        #expect(violations.map(\.kind) == [.selfDeadlock])
        #expect(anotherThreadCanWrite(rwlock))
    }

    /// Holding one side and releasing the other: the thread does not hold that side, so it is
    /// `unlock_not_held`, and the raw unlock (which would drop the side that is held) is not made.
    @Test(
        "releasing the side this thread does not hold: reported, and the held side stays held",
        arguments: [true, false])
    func releasingTheOtherSide(holdsWrite: Bool) throws {
        let rwlock = CheckedReadWriteLock("table")
        let violations = LockOrder.withChecking {
            if holdsWrite {
                rwlock.lockWrite()
                rwlock.unlockRead()
                #expect(!anotherThreadCanRead(rwlock), "unlockRead dropped the write hold")
                rwlock.unlockWrite()
            } else {
                rwlock.lockRead()
                rwlock.unlockWrite()
                #expect(!anotherThreadCanWrite(rwlock), "unlockWrite dropped the read hold")
                rwlock.unlockRead()
            }
        }
        #expect(violations.count == 1)
        #expect(anotherThreadCanWrite(rwlock))
        #expect(violations.first?.kind == .unlockNotHeld)
        #expect(
            violations.first?.message == "unlock not held: releasing table, which this thread does not hold")
    }
}
