import LockCore
import LockOrderChecker
import Testing

/// A checked mutex as the lock underneath a user's lock.
final class CheckedRawTestLock: RawTestLock {
    let mutex: CheckedMutex
    init(_ name: String) { mutex = CheckedMutex(name) }
    func lock() { mutex.lock() }
    func unlock() { mutex.unlock() }
}

/// A lock of the user's own using the fast-path calls as LockCore's types do: the fast-path intent and
/// record around the raw lock, the full three calls whenever a fast-path call answers false.
final class FastPathAnnotatedLock: @unchecked Sendable {
    private let mutex: any RawTestLock
    let identity: LockIdentity

    /// - Parameter raw: the lock underneath; a checked lock too, if the test wants one.
    init(
        _ name: String, raw: any RawTestLock = RawTestMutex(), fileID: StaticString = #fileID,
        line: UInt = #line
    ) {
        mutex = raw
        identity = LockOrder.register(
            name: name, kind: .mutex, site: SourceSite(fileID: fileID, line: line))
    }

    deinit {
        LockOrder.lockDestroyed(identity)
    }

    func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        let site = SourceSite(fileID: fileID, line: line)
        guard let epoch = LockOrder.fastPathEpoch else {
            mutex.lock()
            return
        }
        if let acquisition = LockOrder.willAcquireOnFastPath(identity, in: epoch, site: site) {
            mutex.lock()
            // False when checking restarted while this thread waited, or when the raw lock is a
            // checked one: record it the full way.
            if !LockOrder.didAcquireOnFastPath(acquisition) {
                LockOrder.didAcquire(identity, site: site)
            }
            return
        }
        LockOrder.willAcquire(identity, site: site)
        mutex.lock()
        LockOrder.didAcquire(identity, site: site)
    }

    func unlock(fileID: StaticString = #fileID, line: UInt = #line) {
        guard let epoch = LockOrder.fastPathEpoch,
            !LockOrder.willReleaseOnFastPath(identity, in: epoch)
        else {
            mutex.unlock()
            return
        }
        let site = SourceSite(fileID: fileID, line: line)
        switch LockOrder.willRelease(identity, site: site) {
        case .release: mutex.unlock()
        case .stillHeld: break
        case .notHeld: LockOrder.reportUnlockNotHeld(identity, heldByAnotherThread: false, site: site)
        }
    }
}

@Suite("A user's own lock, annotated with the fast-path calls")
struct FastPathCallsTests {
    /// Takes `first`, then `second`, and releases them, `times` times: after the first time the
    /// chain is cached and the fast-path calls clear it.
    func takeInOrder(_ first: FastPathAnnotatedLock, _ second: FastPathAnnotatedLock, times: Int) {
        for _ in 0..<times {
            first.lock()
            second.lock()
            second.unlock()
            first.unlock()
        }
    }

    @Test(
        "an order taken many times (cached, cleared by the fast-path calls) then reversed is an order cycle")
    func reversalAfterCachedOrderIsReported() {
        let violations = LockOrder.withChecking {
            let first = FastPathAnnotatedLock("first")
            let second = FastPathAnnotatedLock("second")
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
        let violations = LockOrder.withChecking {
            let first = FastPathAnnotatedLock("first")
            let second = FastPathAnnotatedLock("second")
            takeInOrder(first, second, times: 5)
            second.unlock()
        }
        #expect(violations.map(\.kind) == [.unlockNotHeld])
        #expect(
            violations.first?.message == "unlock not held: releasing second, which this thread does not hold")
    }

    @Test(
        "a user's lock over a checked lock: the inner lock's entry takes the slot, the outer is recorded the full way"
    )
    func userLockOverCheckedLock() throws {
        let violations = LockOrder.withChecking {
            let outer = FastPathAnnotatedLock("outer", raw: CheckedRawTestLock("inner"))
            let other = FastPathAnnotatedLock("other")
            let filler = FastPathAnnotatedLock("filler")
            // Opens the gate and leaves filler's entry in the second slot, where a wrong count
            // of the outer lock's slot would find it.
            takeInOrder(other, filler, times: 1)
            for _ in 0..<3 {
                outer.lock()
                other.lock()
                other.unlock()
                outer.unlock()
            }
            other.lock()
            outer.lock()
            outer.unlock()
            other.unlock()
        }
        // Had the outer lock's fast-path record counted the inner lock's entry as its own, its
        // release would be "not held" and the reversal would go unseen. Both the outer lock and
        // the checked lock inside it are now taken under other: two cycles.
        try #require(violations.map(\.kind) == [.orderCycle, .orderCycle])
        let messages = violations.map(\.message)
        #expect(messages[0].hasPrefix("order cycle: acquiring outer while holding other closes the cycle"))
        #expect(messages[1].hasPrefix("order cycle: acquiring inner while holding other closes the cycle"))
    }
}
