import LockOrderTestSupport
import Testing

@testable import LockCore

#if canImport(Glibc)
    import Glibc
#endif

/// The lock types' inlined fast path (intent and held entry written before the raw lock, the
/// entry counted after it) records exactly what the full checked path records.
@Suite("The fast path")
struct FastPathTests {
    @Test(
        "a failed tryLock leaves nothing held: the entry written before it is never counted",
        arguments: ExclusiveKind.allCases)
    func failedTryLockRecordsNothing(kind: ExclusiveKind) {
        let busy = kind.make("busy")
        let after = kind.make("after")
        let violations = LockOrder.withChecking {
            let release = Semaphore()
            let holder = holdOnAnotherThread(busy, until: release)
            // A first operation opens this thread's gate, so that the tryLock takes the fast path.
            after.withLock {}
            #expect(!busy.tryLock())
            // Had the failed attempt been counted as held, this would learn busy -> after...
            after.withLock {}
            release.signal()
            holder.join()
            // ...and this would close a cycle (OrderParticipationTests shows a successful tryLock
            // does).
            after.withLock { busy.withLock {} }
        }
        #expect(violations.isEmpty)
    }

    @Test("a hold that waited for its raw lock across a session change is recorded in the new session")
    func holdAcrossSessionChangeIsRecorded() throws {
        let contended = CheckedMutex("contended")
        let inner = CheckedMutex("inner")
        let ready = Semaphore()
        var waiter: TestThread?
        var waiterBlocked = false
        _ = LockOrder.withChecking {
            contended.lock()
            waiter = TestThread {
                inner.withLock {}  // opens this thread's gate in the first session
                ready.signal()
                contended.lock()  // the fast-path intent in the first session, then it waits
                inner.withLock {}  // contended -> inner: learned only if the hold was recorded
                contended.unlock()
            }
            ready.wait()
            // glibc marks a mutex with a waiter 2: the waiter is past its fast-path intent.
            waiterBlocked = waitUntil { contended.mutex.pointee.__data.__lock == 2 }
        }
        try #require(waiterBlocked)
        let violations = LockOrder.withChecking {
            contended.unlock()  // the waiter now takes it, in this session
            waiter?.join()
            inner.withLock { contended.withLock {} }  // inner -> contended closes the cycle
        }
        #expect(violations.map(\.kind) == [.orderCycle])
    }

    /// Polls `condition` until it holds (true) or ten seconds pass (false).
    func waitUntil(_ condition: () -> Bool) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while clock.now < deadline {
            if condition() { return true }
            sched_yield()
        }
        return false
    }

    @Test(
        "the fast-path epoch is nil exactly while checking is off, and a session never reuses one",
        .enabled(if: !CheckingOffTests.environmentChecks))
    func fastPathEpochFollowsChecking() throws {
        // Until a first lock operation reads the environment, the epoch is on (so that the
        // operation takes the slow path, which reads it).
        CheckedMutex("configures").withLock {}
        #expect(LockOrder.fastPathEpoch == nil)
        var epochs: [FastPathEpoch] = []
        for _ in 0..<2 {
            _ = LockOrder.withChecking {
                if let epoch = LockOrder.fastPathEpoch { epochs.append(epoch) }
            }
            #expect(LockOrder.fastPathEpoch == nil)
        }
        try #require(epochs.count == 2)
        #expect(epochs[0] != epochs[1])
    }
}
