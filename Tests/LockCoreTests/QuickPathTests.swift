import LockCore
import LockOrderTestSupport
import Testing

/// The lock types' inlined quick path (intent and held entry written before the raw lock, the
/// entry counted after it) records exactly what the full checked path records.
@Suite("The quick path")
struct QuickPathTests {
    @Test(
        "a failed tryLock leaves nothing held: the entry written before it is never counted",
        arguments: ExclusiveKind.allCases)
    func failedTryLockRecordsNothing(kind: ExclusiveKind) {
        let busy = kind.make("busy")
        let after = kind.make("after")
        let violations = LockOrderChecker.withChecking {
            let release = Semaphore()
            let holder = holdOnAnotherThread(busy, until: release)
            // A first operation opens this thread's gate, so that the tryLock takes the quick path.
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

    @Test(
        "the quick epoch is nil exactly while checking is off, and a session never reuses one",
        .enabled(if: !CheckingOffTests.environmentChecks))
    func quickEpochFollowsChecking() throws {
        // Until a first lock operation reads the environment, the epoch is on (so that the
        // operation takes the slow path, which reads it).
        CheckedMutex("configures").withLock {}
        #expect(LockOrderChecker.quickEpoch == nil)
        var epochs: [QuickEpoch] = []
        for _ in 0..<2 {
            _ = LockOrderChecker.withChecking {
                if let epoch = LockOrderChecker.quickEpoch { epochs.append(epoch) }
            }
            #expect(LockOrderChecker.quickEpoch == nil)
        }
        try #require(epochs.count == 2)
        #expect(epochs[0] != epochs[1])
    }
}
