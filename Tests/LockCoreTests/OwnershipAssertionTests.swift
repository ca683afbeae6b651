import LockCore
import LockOrderTestSupport
import Testing

/// `assertHeld` / `assertNotHeld` (answered from the held stack) and `withLockIfAvailable`, on
/// every lock type.
@Suite("Ownership assertions and withLockIfAvailable", .serialized)
struct OwnershipAssertionTests {
    @Test(
        "assertHeld while held, assertNotHeld while not: nothing reported", arguments: ExclusiveKind.allCases)
    func assertionsThatHold(kind: ExclusiveKind) {
        let violations = LockOrder.withChecking {
            let lock = kind.make("guarded")
            lock.assertNotHeld(fileID: #fileID, line: #line)
            lock.withLock { lock.assertHeld(fileID: #fileID, line: #line) }
            lock.assertNotHeld(fileID: #fileID, line: #line)
        }
        #expect(violations.isEmpty, "\(violations.map(\.text))")
    }

    @Test("assertHeld without the lock is an ownership assertion", arguments: ExclusiveKind.allCases)
    func assertHeldNotHeld(kind: ExclusiveKind) throws {
        let violations = LockOrder.withChecking {
            let lock = kind.make("guarded")
            lock.assertHeld(fileID: #fileID, line: #line)
        }
        #expect(violations.map(\.kind) == [.ownershipAssertion])
        let violation = try #require(violations.first)
        #expect(violation.message.hasPrefix("ownership assertion: guarded must be held"))
        #expect(violation.message.hasSuffix("and this thread does not hold it"))
        #expect(violation.lock?.name == "guarded")
        #expect(violation.text.contains("rule: assertHeld: the calling thread holds the lock"))
    }

    @Test("assertHeld on another thread than the holder is reported", arguments: ExclusiveKind.nonReentrant)
    func assertHeldOnAnotherThread(kind: ExclusiveKind) {
        let violations = LockOrder.withChecking {
            let lock = kind.make("guarded")
            lock.withLock {
                TestThread.runAndWait { lock.assertHeld(fileID: #fileID, line: #line) }
            }
        }
        #expect(violations.map(\.kind) == [.ownershipAssertion])
    }

    @Test("assertNotHeld while held is an ownership assertion", arguments: ExclusiveKind.allCases)
    func assertNotHeldWhileHeld(kind: ExclusiveKind) throws {
        let violations = LockOrder.withChecking {
            let lock = kind.make("guarded")
            lock.withLock { lock.assertNotHeld(fileID: #fileID, line: #line) }
        }
        #expect(violations.map(\.kind) == [.ownershipAssertion])
        let violation = try #require(violations.first)
        #expect(
            violation.message
                == "ownership assertion: guarded must not be held here, and this thread holds it")
        #expect(violation.held.map(\.name) == ["guarded"])
    }

    @Test("a reader-writer lock's assertions know the mode")
    func readWriteModes() {
        let violations = LockOrder.withChecking {
            let lock = CheckedReadWriteLock("table")
            lock.withReadLock {
                lock.assertHeld()
                lock.assertHeld(mode: .shared)
                lock.assertHeld(mode: .exclusive)  // reported: read, not write
            }
        }
        #expect(violations.map(\.kind) == [.ownershipAssertion])
        #expect(
            violations.first?.message
                == "ownership assertion: table must be held for writing here, and this thread does not hold it"
        )
    }

    @Test("LockedValue, CheckedValueMutex and the NIO shapes assert too")
    func valueTypesAssert() {
        let violations = LockOrder.withChecking {
            let value = LockedValue(0, name: "value")
            value.withLock { _ in value.assertHeld() }
            value.assertNotHeld()
            value.assertHeld()  // reported
            let mutex = CheckedValueMutex(0, name: "mutex")
            mutex.withLock { _ in mutex.assertHeld() }
            mutex.assertHeld()  // reported
            let lock = CheckedNIOLock("nio")
            lock.withLockVoid { lock.assertHeld() }
            lock.assertHeld()  // reported
            let box = CheckedNIOLockedValueBox(0, name: "box")
            box.withLockedValue { _ in box.assertHeld() }
            box.unsafe.withValueAssumingLockIsAcquired { $0 += 1 }  // reported: not locked
        }
        #expect(violations.map(\.kind) == Array(repeating: .ownershipAssertion, count: 4))
        #expect(violations.compactMap(\.lock?.name) == ["value", "mutex", "nio", "box"])
    }

    @Test("the held stack answers isHeldByCurrentThread while checking; nil with checking off")
    func heldByCurrentThread() {
        var answers: [Bool?] = []
        _ = LockOrder.withChecking {
            let lock = CheckedMutex("a")
            answers.append(LockOrder.isHeldByCurrentThread(lock.identity))
            lock.withLock { answers.append(LockOrder.isHeldByCurrentThread(lock.identity)) }
        }
        #expect(answers == [false, true])
        if !CheckingOffTests.environmentChecks {
            let lock = CheckedMutex("a")
            lock.withLock { #expect(LockOrder.isHeldByCurrentThread(lock.identity) == nil) }
        }
    }

    @Test(
        "checking off: a failing assertion costs nothing and says nothing",
        .enabled(if: !CheckingOffTests.environmentChecks))
    func checkingOff() {
        let lock = CheckedMutex("a")
        let stderr = capturingStandardError {
            lock.assertHeld()
            lock.withLock { lock.assertNotHeld() }
        }
        #expect(stderr == "")
    }

    @Test("withLockIfAvailable runs the body when the lock is free", arguments: ExclusiveKind.allCases)
    func ifAvailableFree(kind: ExclusiveKind) {
        let violations = LockOrder.withChecking {
            let lock = kind.make("a")
            let result = lock.withLockIfAvailable(fileID: #fileID, line: #line) { () -> Int in
                lock.assertHeld(fileID: #fileID, line: #line)
                return 7
            }
            #expect(result == 7)
            lock.assertNotHeld(fileID: #fileID, line: #line)
        }
        #expect(violations.isEmpty, "\(violations.map(\.text))")
    }

    @Test(
        "withLockIfAvailable answers nil while another thread holds the lock",
        arguments: ExclusiveKind.allCases)
    func ifAvailableBusy(kind: ExclusiveKind) {
        let lock = kind.make("a")
        lock.lock()
        let outcome = LockedValue<(ran: Bool, result: Int?)>((false, nil))
        TestThread.runAndWait {
            let result = lock.withLockIfAvailable(fileID: #fileID, line: #line) { () -> Int in
                outcome.withLock { $0.ran = true }
                return 1
            }
            outcome.withLock { $0.result = result }
        }
        lock.unlock()
        #expect(outcome.withLock { $0.ran } == false)
        #expect(outcome.withLock { $0.result } == nil)
    }

    @Test("withLockIfAvailable is a trylock: exempt from the order rules (BA then try-A under B)")
    func ifAvailableIsExempt() {
        let violations = LockOrder.withChecking {
            let a = CheckedValueMutex(0, name: "a")
            let b = LockedValue(0, name: "b")
            a.withLock { _ in b.withLock { _ in } }
            b.withLock { _ in _ = a.withLockIfAvailable { $0 += 1 } }
            _ = b.withLockIfAvailable { $0 += 1 }
        }
        #expect(violations.isEmpty)
    }

    @Test("withLockIfAvailable releases on a throw")
    func ifAvailableThrows() {
        struct Failure: Error {}
        let lock = CheckedMutex("a")
        #expect(throws: Failure.self) {
            try lock.withLockIfAvailable { () throws(Failure) in throw Failure() }
        }
        #expect(lock.tryLock())
        lock.unlock()
    }
}
