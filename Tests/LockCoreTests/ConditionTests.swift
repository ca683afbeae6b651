import LockCore
import LockOrderTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// State shared by a condition's waiters and signallers, touched only while holding `mutex`.
private final class Shared: @unchecked Sendable {
    let mutex = CheckedMutex("state")
    let condition = CheckedCondition("changed")
    var ready = false
    var waiting = 0
    var woken = 0
}

/// Waits, holding the mutex, until `ready` or 30 s have passed; true when it saw `ready`.
private func waitUntilReady(_ shared: Shared) -> Bool {
    let deadline = ContinuousClock.now + .seconds(30)
    return shared.mutex.withLock {
        shared.waiting += 1
        while !shared.ready {
            if !shared.condition.wait(on: shared.mutex, until: deadline) { return shared.ready }
        }
        shared.woken += 1
        return true
    }
}

/// Holding the mutex, waits until `count` threads are waiting (the waiters release it while
/// they wait, so this thread can take it).
private func waitForWaiters(_ shared: Shared, count: Int) {
    while shared.mutex.withLock({ shared.waiting }) < count { sched_yield() }
}

@Suite("CheckedCondition: waits, signals and the checker's view of them", .serialized)
struct ConditionTests {
    @Test("a signalled waiter wakes with the mutex held, and a correct wait reports nothing")
    func signalledWake() throws {
        let shared = Shared()
        // The signalling side on a thread of its own too: the test's body is a task, where
        // waiting for the mutex the waiter holds would be blocking_in_task.
        let (violations, sawReady) = onAnotherThread {
            var sawReady = false
            let violations = LockOrder.withChecking {
                let waiter = TestThread { [shared] in
                    let result = waitUntilReady(shared)
                    // Returned holding the mutex: another thread could not have taken it meanwhile.
                    precondition(result)
                }
                waitForWaiters(shared, count: 1)
                shared.mutex.withLock { shared.ready = true }
                shared.condition.signal()
                waiter.join()
                sawReady = shared.mutex.withLock { shared.woken == 1 }
            }
            return (violations, sawReady)
        }
        #expect(sawReady)
        #expect(violations.isEmpty, "\(violations.map(\.text).joined())")
    }

    @Test("the wait returns holding the mutex: another thread cannot take it until it is released")
    func waitReturnsHoldingTheMutex() {
        let shared = Shared()
        // On a thread of its own: the test's body is a task, where a wait is blocking_in_task.
        let (violations, takenDuring, takenAfter) = onAnotherThread {
            var takenDuring = true
            var takenAfter = false
            let violations = LockOrder.withChecking {
                shared.mutex.lock()
                _ = shared.condition.wait(on: shared.mutex, timeout: .milliseconds(1))
                takenDuring = anotherThreadCanTake(shared.mutex)
                shared.mutex.unlock()
                takenAfter = anotherThreadCanTake(shared.mutex)
            }
            return (violations, takenDuring, takenAfter)
        }
        #expect(!takenDuring)
        #expect(takenAfter)
        #expect(violations.isEmpty, "\(violations.map(\.text).joined())")
    }

    @Test("a timed wait nobody signals times out (false), with the mutex held again")
    func timeout() {
        let shared = Shared()
        // On a thread of its own: the test's body is a task, where a wait is blocking_in_task.
        let (violations, takenDuring) = onAnotherThread {
            var takenDuring = true
            let violations = LockOrder.withChecking {
                let deadline = ContinuousClock.now + .milliseconds(20)
                shared.mutex.lock()
                // Spurious wake-ups answer true: wait again until the deadline answers false.
                while shared.condition.wait(on: shared.mutex, until: deadline) {}
                takenDuring = anotherThreadCanTake(shared.mutex)
                shared.mutex.unlock()
            }
            return (violations, takenDuring)
        }
        #expect(!takenDuring)
        #expect(violations.isEmpty, "\(violations.map(\.text).joined())")
    }

    @Test("a broadcast wakes every waiter", arguments: [false, true])
    func broadcastWakesEveryone(checking: Bool) {
        let shared = Shared()
        let waiters = 3
        let run: @Sendable () -> Void = {
            let threads = (0..<waiters).map { _ in
                TestThread { [shared] in precondition(waitUntilReady(shared)) }
            }
            waitForWaiters(shared, count: waiters)
            shared.mutex.withLock { shared.ready = true }
            shared.condition.broadcast()
            for thread in threads { thread.join() }
        }
        if checking {
            // On a thread of its own: the test's body is a task, where waiting for the mutex a
            // waiter holds would be blocking_in_task.
            let violations = onAnotherThread { LockOrder.withChecking { run() } }
            #expect(violations.isEmpty, "\(violations.map(\.text).joined())")
        } else {
            run()
        }
        #expect(shared.mutex.withLock { shared.woken } == waiters)
    }

    @Test("waiting while holding another lock: wait_while_holding, naming that lock")
    func waitWhileHoldingAnotherLock() throws {
        let shared = Shared()
        let other = CheckedMutex("registry")
        // On a thread of its own: the test's body is a task, where a wait is blocking_in_task.
        let violations = onAnotherThread {
            LockOrder.withChecking {
                other.withLock {
                    shared.mutex.withLock {
                        _ = shared.condition.wait(on: shared.mutex, timeout: .milliseconds(1))
                    }
                }
            }
        }
        let violation = try #require(violations.first { $0.kind == .waitWhileHolding })
        #expect(violations.count == 1, "\(violations.map(\.text).joined())")
        #expect(violation.kind.rawValue == "wait_while_holding")
        #expect(
            violation.message
                == "wait while holding: waiting on condition changed with state while holding registry")
        #expect(violation.lock?.name == "state")
        #expect(violation.held.map(\.name) == ["state", "registry"])
        #expect(violation.text.hasPrefix("lockorder: wait while holding: waiting on condition changed"))
        #expect(violation.text.contains("  hint: release registry before waiting"))
    }

    @Test("waiting with a mutex nobody holds: wait_not_held, and the wait returns at once (no pthread call)")
    func waitWithoutTheMutex() throws {
        let shared = Shared()
        var woken = false
        let violations = LockOrder.withChecking {
            // A wait that reached pthread without the mutex would be undefined behaviour; a
            // real wait of 60 s would end this test by its timeout answer (false).
            woken = shared.condition.wait(on: shared.mutex, timeout: .seconds(60))
            #expect(anotherThreadCanTake(shared.mutex), "nothing is left held")
        }
        #expect(woken, "returned at once, as a spurious wake-up")
        let violation = try #require(violations.first)
        #expect(violations.count == 1)
        #expect(violation.kind == .waitNotHeld)
        #expect(violation.kind.rawValue == "wait_not_held")
        #expect(
            violation.message
                == "wait not held: waiting on condition changed with state, which this thread does not hold")
        #expect(violation.lock?.name == "state")
    }

    @Test("waiting with a mutex another thread holds: wait_not_held naming the other holder")
    func waitWithAnotherThreadsMutex() throws {
        let shared = Shared()
        let violations = LockOrder.withChecking {
            shared.mutex.lock()
            TestThread.runAndWait { [shared] in
                _ = shared.condition.wait(on: shared.mutex, timeout: .seconds(60))
            }
            shared.mutex.unlock()
        }
        let violation = try #require(violations.first)
        #expect(violations.count == 1)
        #expect(violation.kind == .waitNotHeld)
        #expect(
            violation.message
                == "wait not held: waiting on condition changed with state, which another thread holds")
    }

    @Test("with checking off, a wait without the mutex also returns at once")
    func waitWithoutTheMutexCheckingOff() {
        let shared = Shared()
        #expect(shared.condition.wait(on: shared.mutex, timeout: .seconds(60)))
    }

    @Test("the mutex re-acquired after the wait is ordered after the locks still held: a cycle is found")
    func cycleThroughTheReacquiredMutex() throws {
        let shared = Shared()
        let inner = CheckedMutex("inner")
        let violations = LockOrder.withChecking {
            shared.mutex.lock()
            inner.lock()  // learns state -> inner
            // The wait releases state and takes it back while inner is held: inner -> state.
            _ = shared.condition.wait(on: shared.mutex, timeout: .milliseconds(1))
            inner.unlock()
            shared.mutex.unlock()
        }
        let cycle = try #require(violations.first { $0.kind == .orderCycle }, "\(violations.map(\.text))")
        #expect(cycle.lock?.name == "state")
        #expect(cycle.held.map(\.name) == ["inner"], "the mutex is not held while it is re-acquired")
        #expect(Set(cycle.cycle?.map(\.from) ?? []).count == 2)
        #expect(violations.contains { $0.kind == .waitWhileHolding })
    }

    @Test("waits in the right order learn nothing wrong: re-acquiring the mutex with nothing else held")
    func waitWithNothingElseHeldAddsNoCycle() {
        let shared = Shared()
        let inner = CheckedMutex("inner")
        // On a thread of its own: the test's body is a task, where a wait is blocking_in_task.
        let violations = onAnotherThread {
            LockOrder.withChecking {
                shared.mutex.withLock {
                    inner.withLock {}
                    _ = shared.condition.wait(on: shared.mutex, timeout: .milliseconds(1))
                    inner.withLock {}
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.map(\.text).joined())")
    }
}
