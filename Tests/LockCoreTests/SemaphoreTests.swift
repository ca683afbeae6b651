import LockCore
import LockOrderTestSupport
import Synchronization
import Testing

@Suite("CheckedSemaphore: counts, timeouts and waits while holding a lock", .serialized)
struct SemaphoreTests {
    @Test("units are counted: as many waits succeed as the value plus the signals, then one times out")
    func counting() {
        let semaphore = CheckedSemaphore(value: 2, "slots")
        // On a thread of its own: the test's body is a task, where the last wait, which finds no
        // unit, is blocking_in_task.
        let (violations, answers) = onAnotherThread {
            var answers: [Bool] = []
            let violations = LockOrder.withChecking {
                answers.append(semaphore.tryWait())
                semaphore.wait()
                answers.append(semaphore.tryWait())
                semaphore.signal()
                answers.append(semaphore.wait(timeout: .seconds(30)))
                answers.append(semaphore.wait(timeout: .milliseconds(5)))
            }
            return (violations, answers)
        }
        // The last: no unit left, the timed wait gives up.
        #expect(answers == [true, false, true, false])
        #expect(violations.isEmpty, "\(violations.map(\.text).joined())")
    }

    @Test("a waiter blocks until another thread signals", arguments: [false, true])
    func signalWakesAWaiter(checking: Bool) {
        let semaphore = CheckedSemaphore(value: 0, "done")
        let finished = Atomic<Int>(0)
        let run = {
            let waiter = TestThread {
                semaphore.wait()
                finished.add(1, ordering: .relaxed)
            }
            // The waiter has nothing to take: a unit offered by tryWait would be a bug.
            #expect(!semaphore.tryWait())
            semaphore.signal()
            waiter.join()
        }
        if checking {
            let violations = LockOrder.withChecking { run() }
            #expect(violations.isEmpty, "\(violations.map(\.text).joined())")
        } else {
            run()
        }
        #expect(finished.load(ordering: .relaxed) == 1)
    }

    @Test("waiting on a semaphore while holding a lock: wait_while_holding, naming the lock")
    func waitWhileHolding() throws {
        let semaphore = CheckedSemaphore(value: 1, "jobs")
        let registry = CheckedMutex("registry")
        let violations = LockOrder.withChecking {
            registry.withLock { semaphore.wait() }
        }
        let violation = try #require(violations.first)
        #expect(violations.count == 1)
        #expect(violation.kind == .waitWhileHolding)
        #expect(violation.message == "wait while holding: waiting on semaphore jobs while holding registry")
        #expect(violation.lock == nil)
        #expect(violation.held.map(\.name) == ["registry"])
    }
}
