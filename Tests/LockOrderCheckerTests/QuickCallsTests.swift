import LockOrderChecker
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A lock of the user's own using the quick calls as LockCore's types do: the quick intent and
/// record around the raw lock, the full three calls whenever a quick call answers false.
final class QuicklyAnnotatedLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    let identity: LockIdentity

    init(_ name: String, fileID: StaticString = #fileID, line: UInt = #line) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        identity = LockOrderChecker.register(
            name: name, kind: .mutex, site: SourceSite(fileID: fileID, line: line))
    }

    deinit {
        LockOrderChecker.lockDestroyed(identity)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        let site = SourceSite(fileID: fileID, line: line)
        guard let epoch = LockOrderChecker.quickEpoch else {
            pthread_mutex_lock(mutex)
            return
        }
        if LockOrderChecker.willAcquireQuickly(identity, in: epoch, site: site) {
            pthread_mutex_lock(mutex)
            LockOrderChecker.didAcquireQuickly()
            return
        }
        LockOrderChecker.willAcquire(identity, site: site)
        pthread_mutex_lock(mutex)
        LockOrderChecker.didAcquire(identity, site: site)
    }

    func unlock(fileID: StaticString = #fileID, line: UInt = #line) {
        guard let epoch = LockOrderChecker.quickEpoch,
            !LockOrderChecker.willReleaseQuickly(identity, in: epoch)
        else {
            pthread_mutex_unlock(mutex)
            return
        }
        let site = SourceSite(fileID: fileID, line: line)
        switch LockOrderChecker.willRelease(identity, site: site) {
        case .release: pthread_mutex_unlock(mutex)
        case .stillHeld: break
        case .notHeld: LockOrderChecker.reportUnlockNotHeld(identity, heldByAnotherThread: false, site: site)
        }
    }
}

@Suite("A user's own lock, annotated with the quick calls")
struct QuickCallsTests {
    @Test("an order taken many times (cached, cleared by the quick calls) then reversed is an order cycle")
    func reversalAfterCachedOrderIsReported() {
        let violations = LockOrderChecker.withChecking {
            let first = QuicklyAnnotatedLock("first")
            let second = QuicklyAnnotatedLock("second")
            for _ in 0..<5 {
                first.lock()
                second.lock()
                second.unlock()
                first.unlock()
            }
            second.lock()
            first.lock()
            first.unlock()
            second.unlock()
        }
        #expect(violations.map(\.kind) == [.orderCycle])
        #expect(
            violations.first?.message.hasPrefix(
                "order cycle: acquiring first while holding second closes the cycle") == true)
    }

    @Test("the same locks always taken in one order report nothing, and a lock not held is still reported")
    func consistentOrderIsSilentAndMisuseIsNot() {
        let violations = LockOrderChecker.withChecking {
            let first = QuicklyAnnotatedLock("first")
            let second = QuicklyAnnotatedLock("second")
            for _ in 0..<5 {
                first.lock()
                second.lock()
                second.unlock()
                first.unlock()
            }
            second.unlock()
        }
        #expect(violations.map(\.kind) == [.unlockNotHeld])
        #expect(
            violations.first?.message == "unlock not held: releasing second, which this thread does not hold")
    }
}
