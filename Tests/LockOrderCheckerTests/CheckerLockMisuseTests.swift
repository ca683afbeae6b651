import LockCore
import LockOrderChecker
import LockOrderTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A step counter two threads share, to order their steps without sleeping.
private final class Stage: Sendable {
    let value = Atomic<Int>(0)
}

/// Misuse of a single lock: releasing what this thread does not hold, and taking again a
/// non-reentrant lock it holds (a certain self-deadlock, which stops the process).
@Suite("Misuse of one lock", .serialized)
struct CheckerLockMisuseTests {
    @Test("unlocking a mutex nobody holds is unlock_not_held (and the unlock is not performed)")
    func unlockNotHeld() throws {
        let cache = CheckedMutex("user cache")
        var unlockLine = 0
        let violations = checkDeclaredRules {
            unlockLine = #line + 1
            cache.unlock()
            // The lock is still usable: the bad unlock was not passed to pthread.
            cache.withLock {}
        }
        try #require(violations.count == 1)
        #expect(violations[0].kind == .unlockNotHeld)
        #expect(
            violations[0].message == "unlock not held: releasing user cache, which this thread does not hold")
        #expect(violations[0].site == "\(siteFile()):\(unlockLine)")
        #expect(
            violations[0].rule
                == "only the thread that holds a lock may release it, once per acquisition (the underlying unlock was not performed)"
        )
        #expect(violations[0].held.isEmpty)
        #expect(reportLine(violations[0], startingWith: "  held") == "  held: nothing")
    }

    @Test("unlocking a mutex another thread holds is unlock_not_owner")
    func unlockNotOwner() throws {
        let cache = CheckedMutex("user cache")
        let stage = Stage()
        let violations = checkDeclaredRules {
            let owner = TestThread {
                cache.lock()
                stage.value.store(1, ordering: .releasing)
                while stage.value.load(ordering: .acquiring) != 2 { sched_yield() }
                cache.unlock()
            }
            while stage.value.load(ordering: .acquiring) != 1 { sched_yield() }
            cache.unlock()
            stage.value.store(2, ordering: .releasing)
            owner.join()
        }
        try #require(violations.count == 1)
        #expect(violations[0].kind == .unlockNotOwner)
        #expect(violations[0].message == "unlock not owner: releasing user cache, which another thread holds")
    }

    @Test("lock then unlock on one thread is silent")
    func balancedUseIsSilent() {
        let cache = CheckedMutex("user cache")
        let violations = checkDeclaredRules {
            cache.lock()
            cache.unlock()
            cache.withLock {}
        }
        #expect(violations.isEmpty)
    }

    @Test("locking a held non-reentrant mutex again is reported, then the process stops")
    func selfDeadlockStopsTheProcess() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            let typecache = CheckedMutex(declared: "typecache_lock")
            _ = LockOrder.withChecking(learnsOrder: false, printsReports: true) {
                typecache.lock()
                typecache.lock()
            }
        }
        let lines = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
            .split(separator: "\n").map(String.init)
        #expect(
            lines.first
                == "lockorder: self deadlock: acquiring typecache_lock, which this thread already holds (Mutex is not reentrant)"
        )
        let stop = lines.firstIndex(
            of:
                "lockorder: stopping the process after this report (a certain self-deadlock: going on would hang)"
        )
        #expect(stop != nil)
        #expect(
            lines.contains(
                "  rule: a non-reentrant lock cannot be acquired again by the thread that holds it"))
    }
}
