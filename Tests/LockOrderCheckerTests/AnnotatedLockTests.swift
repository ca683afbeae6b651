import LockOrderChecker
import LockOrderTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What the annotated test locks take and release underneath.
protocol RawTestLock: AnyObject, Sendable {
    func lock()
    func unlock()
}

/// A raw pthread mutex at a stable address: the lock inside the annotated test locks.
final class RawTestMutex: RawTestLock, @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }
}

/// A lock of the user's own, taking part in checking through the three calls only: the
/// pattern the README shows (its `MyLock`), `fileID`/`line` passed through `init` so that each
/// lock is classed where its user makes it.
final class AnnotatedLock: @unchecked Sendable {
    private let mutex = RawTestMutex()
    let identity: LockIdentity

    init(_ name: String, fileID: StaticString = #fileID, line: UInt = #line) {
        identity = LockOrder.register(
            name: name, kind: .mutex, site: SourceSite(fileID: fileID, line: line))
    }

    deinit {
        LockOrder.lockDestroyed(identity)
    }

    func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        let site = SourceSite(fileID: fileID, line: line)
        LockOrder.willAcquire(identity, site: site)
        if !mutex.tryLock() {
            // Contended: the blocking lock, published for the watchdog.
            LockOrder.blockedAcquisition(of: identity, site: site) { mutex.lock() }
        }
        LockOrder.didAcquire(identity, site: site)
    }

    func unlock(fileID: StaticString = #fileID, line: UInt = #line) {
        let site = SourceSite(fileID: fileID, line: line)
        switch LockOrder.willRelease(identity, site: site) {
        case .release: mutex.unlock()
        case .stillHeld: break
        case .notHeld: LockOrder.reportUnlockNotHeld(identity, heldByAnotherThread: false, site: site)
        }
    }
}

@Suite("A user's own lock, annotated with the three calls")
struct AnnotatedLockTests {
    @Test(
        "ABBA between two annotated locks is an order cycle, each classed at its user's line (the README's sample)"
    )
    func readmeSampleClassesAtTheCallersLine() {
        let line = #line
        let reported = LockOrder.withCheckingFindings {
            let first = AnnotatedLock("first")
            let second = AnnotatedLock("second")
            first.lock()
            second.lock()
            second.unlock()
            first.unlock()
            second.lock()
            first.lock()
            first.unlock()
            second.unlock()
        }
        #expect(reported.map(\.violation.kind) == [.orderCycle])
        #expect(
            reported.first?.violation.message.hasPrefix(
                "order cycle: acquiring first while holding second closes the cycle") == true)
        guard case .orderCycle(let classPath, _)? = reported.first?.finding?.reason else {
            Issue.record("no order_cycle finding: \(reported.map(\.violation.message))")
            return
        }
        #expect(
            classPath == [
                "second (LockOrderCheckerTests/AnnotatedLockTests.swift:\(line + 3))",
                "first (LockOrderCheckerTests/AnnotatedLockTests.swift:\(line + 2))",
                "second (LockOrderCheckerTests/AnnotatedLockTests.swift:\(line + 3))",
            ])
    }

    @Test("the same locks always taken in one order report nothing")
    func consistentOrderIsSilent() {
        let violations = LockOrder.withChecking {
            let first = AnnotatedLock("first")
            let second = AnnotatedLock("second")
            for _ in 0..<3 {
                first.lock()
                second.lock()
                second.unlock()
                first.unlock()
            }
        }
        #expect(violations.isEmpty)
    }

    @Test("an unlock of an annotated lock nobody holds is reported, and not performed")
    func unlockNotHeld() {
        let violations = LockOrder.withChecking {
            let lock = AnnotatedLock("loose")
            lock.unlock()
        }
        #expect(violations.map(\.kind) == [.unlockNotHeld])
        #expect(
            violations.first?.message == "unlock not held: releasing loose, which this thread does not hold")
    }
}
