import LockOrderChecker
import Testing

/// A lock of the user's own using the quick calls as LockCore's types do: the quick intent and
/// record around the raw lock, the full three calls whenever a quick call answers false.
final class QuicklyAnnotatedLock: @unchecked Sendable {
    private let mutex = RawTestMutex()
    let identity: LockIdentity

    init(_ name: String, fileID: StaticString = #fileID, line: UInt = #line) {
        identity = LockOrderChecker.register(
            name: name, kind: .mutex, site: SourceSite(fileID: fileID, line: line))
    }

    deinit {
        LockOrderChecker.lockDestroyed(identity)
    }

    func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        let site = SourceSite(fileID: fileID, line: line)
        guard let epoch = LockOrderChecker.quickEpoch else {
            mutex.lock()
            return
        }
        if LockOrderChecker.willAcquireQuickly(identity, in: epoch, site: site) {
            mutex.lock()
            // False when checking restarted while this thread waited: record it the full way.
            if !LockOrderChecker.didAcquireQuickly() { LockOrderChecker.didAcquire(identity, site: site) }
            return
        }
        LockOrderChecker.willAcquire(identity, site: site)
        mutex.lock()
        LockOrderChecker.didAcquire(identity, site: site)
    }

    func unlock(fileID: StaticString = #fileID, line: UInt = #line) {
        guard let epoch = LockOrderChecker.quickEpoch,
            !LockOrderChecker.willReleaseQuickly(identity, in: epoch)
        else {
            mutex.unlock()
            return
        }
        let site = SourceSite(fileID: fileID, line: line)
        switch LockOrderChecker.willRelease(identity, site: site) {
        case .release: mutex.unlock()
        case .stillHeld: break
        case .notHeld: LockOrderChecker.reportUnlockNotHeld(identity, heldByAnotherThread: false, site: site)
        }
    }
}

@Suite("A user's own lock, annotated with the quick calls")
struct QuickCallsTests {
    /// Takes `first`, then `second`, and releases them, `times` times: after the first time the
    /// chain is cached and the quick calls clear it.
    func takeInOrder(_ first: QuicklyAnnotatedLock, _ second: QuicklyAnnotatedLock, times: Int) {
        for _ in 0..<times {
            first.lock()
            second.lock()
            second.unlock()
            first.unlock()
        }
    }

    @Test("an order taken many times (cached, cleared by the quick calls) then reversed is an order cycle")
    func reversalAfterCachedOrderIsReported() {
        let violations = LockOrderChecker.withChecking {
            let first = QuicklyAnnotatedLock("first")
            let second = QuicklyAnnotatedLock("second")
            takeInOrder(first, second, times: 5)
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
            takeInOrder(first, second, times: 5)
            second.unlock()
        }
        #expect(violations.map(\.kind) == [.unlockNotHeld])
        #expect(
            violations.first?.message == "unlock not held: releasing second, which this thread does not hold")
    }
}
