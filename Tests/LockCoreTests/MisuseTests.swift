import LockCore
import LockOrderTestSupport
import Testing

/// Misuse of a single lock, with checking on: each is reported with its kind, the lock's name
/// and the exact headline, and the harmful raw operation is not made.
@Suite("Misuse of one lock is reported")
struct MisuseTests {
    // MARK: Unlock by a thread that does not hold the lock

    @Test(
        "unlock of a free lock: unlock_not_held, and the lock still works", arguments: ExclusiveKind.allCases)
    func unlockOfAFreeLock(kind: ExclusiveKind) throws {
        let lock = kind.make("idle")
        let violations = LockOrder.withChecking {
            lock.unlock()
            // The bad unlock changed nothing: the lock is taken and released normally.
            lock.lock()
            #expect(!anotherThreadCanTake(lock))
            lock.unlock()
        }
        #expect(violations.count == 1)
        let violation = try #require(violations.first)
        #expect(violation.kind == .unlockNotHeld)
        #expect(violation.kind.rawValue == "unlock_not_held")
        #expect(violation.message == "unlock not held: releasing idle, which this thread does not hold")
        #expect(violation.lock?.name == "idle")
        #expect(violation.lock?.kind == kind.lockKind)
        #expect(violation.lock?.mode == .exclusive)
        #expect(violation.held.isEmpty)
        #expect(violation.count == 1)
        #expect(
            violation.text.hasPrefix(
                "lockorder: unlock not held: releasing idle, which this thread does not hold\n"))
        #expect(anotherThreadCanTake(lock))
    }

    @Test(
        "unlock by B while A holds it: unlock_not_owner, and the lock stays A's",
        arguments: ExclusiveKind.allCases)
    func unlockByANonOwner(kind: ExclusiveKind) throws {
        let lock = kind.make("owned")
        let violations = LockOrder.withChecking {
            lock.lock()
            TestThread.runAndWait { lock.unlock() }
            // Not performed: a third thread still cannot take it, and A's own unlock is clean.
            #expect(!anotherThreadCanTake(lock))
            lock.unlock()
            #expect(anotherThreadCanTake(lock))
        }
        #expect(violations.count == 1)
        let violation = try #require(violations.first)
        #expect(violation.kind == .unlockNotOwner)
        #expect(violation.kind.rawValue == "unlock_not_owner")
        #expect(violation.message == "unlock not owner: releasing owned, which another thread holds")
        #expect(violation.lock?.name == "owned")
        #expect(violation.held.isEmpty, "the unlocking thread held nothing")
    }

    @Test("the same bad unlock repeated is one distinct violation with its count")
    func repeatedBadUnlockIsCounted() throws {
        let lock = CheckedMutex("idle")
        let violations = LockOrder.withChecking {
            for _ in 0..<3 { lock.unlock() }
        }
        #expect(violations.count == 1)
        #expect(try #require(violations.first).count == 3)
    }

    @Test("rwlock read side: unlockRead of a free lock is unlock_not_held (shared)")
    func unlockReadOfAFreeLock() throws {
        let rwlock = CheckedReadWriteLock("table")
        let violations = LockOrder.withChecking {
            rwlock.unlockRead()
        }
        let violation = try #require(violations.first)
        #expect(violations.count == 1)
        #expect(violation.kind == .unlockNotHeld)
        #expect(violation.message == "unlock not held: releasing table, which this thread does not hold")
        #expect(violation.lock?.mode == .shared)
        #expect(anotherThreadCanWrite(rwlock))
    }

    @Test(
        "rwlock read side: unlockRead by B while A reads is unlock_not_owner, and A still reads",
        arguments: [CheckedReadWriteLock.Fairness.readerPreferring, .writerPreferring])
    func unlockReadByANonHolder(fairness: CheckedReadWriteLock.Fairness) throws {
        let rwlock = CheckedReadWriteLock("table", fairness: fairness)
        let violations = LockOrder.withChecking {
            rwlock.lockRead()
            TestThread.runAndWait { rwlock.unlockRead() }
            #expect(!anotherThreadCanWrite(rwlock), "A's read hold was released by B")
            rwlock.unlockRead()
            #expect(anotherThreadCanWrite(rwlock))
        }
        let violation = try #require(violations.first)
        #expect(violations.count == 1)
        #expect(violation.kind == .unlockNotOwner)
        #expect(violation.message == "unlock not owner: releasing table, which another thread holds")
    }

    // MARK: Reentrant unlock past zero

    @Test(
        "reentrant: two locks, three unlocks: the third is unlock_not_held and ignored",
        arguments: ReentrantKind.allCases)
    func reentrantUnlockPastZero(kind: ReentrantKind) throws {
        let lock = kind.make("counted")
        let violations = LockOrder.withChecking {
            lock.lock()
            lock.lock()
            lock.unlock()
            lock.unlock()
            lock.unlock()
            #expect(lock.holdCount == 0)
            #expect(anotherThreadCanTake(lock))
        }
        #expect(violations.count == 1)
        let violation = try #require(violations.first)
        #expect(violation.kind == .unlockNotHeld)
        #expect(violation.message == "unlock not held: releasing counted, which this thread does not hold")
        #expect(violation.lock?.kind == (kind == .reentrantMutex ? .reentrantMutex : .reentrantSpinLock))
    }

    @Test(
        "reentrant: unlock by B while A holds it twice: unlock_not_owner; A's count is untouched",
        arguments: ReentrantKind.allCases)
    func reentrantUnlockByANonOwner(kind: ReentrantKind) throws {
        let lock = kind.make("counted")
        let violations = LockOrder.withChecking {
            lock.lock()
            lock.lock()
            TestThread.runAndWait { lock.unlock() }
            #expect(lock.holdCount == 2)
            #expect(!anotherThreadCanTake(lock))
            lock.unlock()
            lock.unlock()
            #expect(anotherThreadCanTake(lock))
        }
        #expect(violations.map(\.kind) == [.unlockNotOwner])
        #expect(
            violations.first?.message == "unlock not owner: releasing counted, which another thread holds")
    }

    // MARK: Destroyed while held

    @Test(
        "the last reference goes while this thread holds it: destroyed_while_held",
        arguments: ExclusiveKind.allCases)
    func destroyedWhileHeld(kind: ExclusiveKind) throws {
        let violations = LockOrder.withChecking {
            do {
                let lock = kind.make("doomed")
                lock.lock()
            }
        }
        #expect(violations.count == 1)
        let violation = try #require(violations.first)
        #expect(violation.kind == .destroyedWhileHeld)
        #expect(violation.kind.rawValue == "destroyed_while_held")
        #expect(violation.message == "destroyed while held: doomed was destroyed while this thread holds it")
        #expect(violation.lock?.name == "doomed")
        #expect(violation.held.map(\.name) == ["doomed"])
    }

    @Test(
        "destroyed while held names where the lock was created, so two such locks of one class are two reports"
    )
    func destroyedWhileHeldNamesTheCreationSite() throws {
        var firstLine = 0
        var secondLine = 0
        let violations = LockOrder.withChecking(learnsOrder: false) {
            do {
                firstLine = #line + 1
                let first = CheckedMutex("first doomed", class: .declared("doomed.class"))
                first.lock()
            }
            do {
                secondLine = #line + 1
                let second = CheckedMutex("second doomed", class: .declared("doomed.class"))
                second.lock()
            }
        }
        #expect(violations.map(\.kind) == [.destroyedWhileHeld, .destroyedWhileHeld])
        #expect(violations.map(\.site) == ["\(#fileID):\(firstLine)", "\(#fileID):\(secondLine)"])
        #expect(violations.allSatisfy { !$0.site.hasPrefix("LockOrderChecker/") })
        #expect(violations.first?.lock?.site == "\(#fileID):\(firstLine)")
    }

    @Test("rwlock destroyed while this thread reads it: destroyed_while_held")
    func readWriteLockDestroyedWhileRead() throws {
        let violations = LockOrder.withChecking {
            do {
                let rwlock = CheckedReadWriteLock("doomed table")
                rwlock.lockRead()
            }
        }
        #expect(violations.map(\.kind) == [.destroyedWhileHeld])
        #expect(
            violations.first?.message
                == "destroyed while held: doomed table was destroyed while this thread holds it")
    }

    @Test("the last reference goes while another thread holds it: destroyed_while_held, then held_at_exit")
    func destroyedWhileAnotherThreadHolds() throws {
        let violations = LockOrder.withChecking {
            let slot = Box<CheckedMutex?>(CheckedMutex("shared doomed"))
            let held = Semaphore()
            let destroyed = Semaphore()
            let holder = TestThread {
                slot.value!.lock()
                held.signal()
                destroyed.wait()
            }
            held.wait()
            slot.value = nil
            destroyed.signal()
            holder.join()
        }
        #expect(violations.map(\.kind) == [.destroyedWhileHeld, .heldAtExit])
        #expect(
            violations.first?.message
                == "destroyed while held: shared doomed was destroyed while another thread holds it")
        #expect(violations.last?.message == "held at exit: the thread ended holding 1 lock: shared doomed")
    }

    @Test(
        "an instance class whose lock is destroyed while another thread holds it is not given to a new lock")
    func heldInstanceClassIsNotReused() throws {
        var destroyedClassID: UInt32 = 0
        var newcomerClassID: UInt32 = 0
        let violations = LockOrder.withChecking(learnsOrder: false) {
            let slot = Box<CheckedMutex?>(CheckedMutex("held doomed", class: .instance))
            destroyedClassID = slot.value!.identity.classID
            let held = Semaphore()
            let proceed = Semaphore()
            let holder = TestThread {
                slot.value!.lock()
                held.signal()
                proceed.wait()
            }
            held.wait()
            slot.value = nil
            let newcomer = CheckedMutex("newcomer", class: .instance)
            newcomerClassID = newcomer.identity.classID
            proceed.signal()
            holder.join()
            withExtendedLifetime(newcomer) {}
        }
        #expect(newcomerClassID != destroyedClassID)
        #expect(violations.map(\.kind) == [.destroyedWhileHeld, .heldAtExit])
        let atExit = try #require(violations.last)
        #expect(
            atExit.held.first?.className.hasPrefix("held doomed #") == true, "\(atExit.held.map(\.className))"
        )
    }

    // MARK: Held at thread exit

    @Test("a thread ends holding the lock: held_at_exit naming it", arguments: ExclusiveKind.allCases)
    func heldAtExit(kind: ExclusiveKind) throws {
        let lock = kind.make("left behind")
        // The thread leaves it held for good: it must never be destroyed (undefined for pthread).
        keepForever(lock)
        let violations = LockOrder.withChecking {
            TestThread.runAndWait { lock.lock() }
        }
        #expect(violations.count == 1)
        let violation = try #require(violations.first)
        #expect(violation.kind == .heldAtExit)
        #expect(violation.kind.rawValue == "held_at_exit")
        #expect(violation.message == "held at exit: the thread ended holding 1 lock: left behind")
        #expect(violation.lock == nil)
        #expect(violation.held.map(\.name) == ["left behind"])
        #expect(!anotherThreadCanTake(lock))
    }

    @Test("a thread ends holding two locks: held_at_exit names both, most recent first")
    func heldAtExitTwoLocks() throws {
        let first = CheckedSpinLock("first")
        let second = CheckedReentrantSpinLock("second")
        keepForever(first)
        keepForever(second)
        let violations = LockOrder.withChecking {
            TestThread.runAndWait {
                first.lock()
                second.lock()
            }
        }
        #expect(violations.map(\.kind) == [.heldAtExit])
        #expect(violations.first?.message == "held at exit: the thread ended holding 2 locks: second, first")
    }

    @Test("a thread ends holding 60 locks, past the held stack's capacity: held_at_exit counts all 60")
    func heldAtExitPastCapacity() throws {
        let locks = (0..<60).map { CheckedSpinLock("leaked \($0)", class: .instance) }
        for lock in locks { keepForever(lock) }
        let violations = LockOrder.withChecking(printsReports: false) {
            TestThread.runAndWait {
                for lock in locks { lock.lock() }
            }
        }
        #expect(violations.map(\.kind) == [.heldAtExit])
        let message = try #require(violations.first?.message)
        #expect(message.hasPrefix("held at exit: the thread ended holding 60 locks: leaked 47, leaked 46, "))
        #expect(message.hasSuffix("leaked 0 and 12 more past the held stack's capacity"))
    }

    // MARK: The respected counterpart

    @Test("correct use of every form reports nothing", arguments: ExclusiveKind.allCases)
    func correctUseReportsNothing(kind: ExclusiveKind) {
        let violations = LockOrder.withChecking {
            let lock = kind.make("well used")
            lock.lock()
            lock.unlock()
            if lock.tryLock() { lock.unlock() }
            if lock.tryLock(for: .milliseconds(10)) { lock.unlock() }
            lock.withLock {}
            TestThread.runConcurrently(2) { _ in
                for _ in 0..<100 { lock.withLock {} }
            }
            do {
                let shortLived = kind.make("short lived")
                shortLived.lock()
                shortLived.unlock()
            }
            TestThread.runAndWait {
                lock.lock()
                lock.unlock()
            }
        }
        #expect(violations.isEmpty)
    }

    @Test(
        "correct use of both rwlock sides reports nothing",
        arguments: [CheckedReadWriteLock.Fairness.readerPreferring, .writerPreferring])
    func correctReadWriteUseReportsNothing(fairness: CheckedReadWriteLock.Fairness) {
        let violations = LockOrder.withChecking {
            let rwlock = CheckedReadWriteLock("well used", fairness: fairness)
            rwlock.lockRead()
            rwlock.unlockRead()
            rwlock.lockWrite()
            rwlock.unlockWrite()
            if rwlock.tryLockRead() { rwlock.unlockRead() }
            if rwlock.tryLockWrite() { rwlock.unlockWrite() }
            if rwlock.tryLockRead(for: .milliseconds(10)) { rwlock.unlockRead() }
            if rwlock.tryLockWrite(for: .milliseconds(10)) { rwlock.unlockWrite() }
            rwlock.withReadLock {}
            rwlock.withWriteLock {}
        }
        #expect(violations.isEmpty)
    }
}
