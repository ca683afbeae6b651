import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// A condition variable used with a `CheckedMutex` (the kind of `pthread_cond_t`,
/// `uv_cond_t` and `std::condition_variable`).
///
/// A wait releases the mutex while the thread sleeps and takes it again before it returns. The
/// checker sees exactly that: the mutex released, then re-acquired at the wait's call site with
/// the order rules applied (checked before the thread blocks, so a cycle through a lock taken
/// after the wait is found like any other).
///
/// Guarantees (docs/locks.md):
/// - Every wait returns with the mutex held by the calling thread, as it was before the wait.
/// - Wake-ups may be spurious: a wait can return without a signal, so wait in a loop that
///   checks the predicate, holding the mutex: `while !ready { condition.wait(on: mutex) }`.
/// - Waiting while holding a checked lock other than `mutex` is reported (`wait_while_holding`),
///   then the wait goes on.
/// - Waiting with a mutex the calling thread does not hold is reported (`wait_not_held`) and
///   never reaches pthread (undefined behaviour there): the wait returns at once, as a spurious
///   wake-up, with nothing held. With checking off it returns at once too, unreported.
/// - With the watchdog on (`LOCKORDER_WATCHDOG`), a waiting thread is shown as waiting on the
///   condition (who could signal it is unknown, so no cycle is guessed through it).
/// - A wait inside a Swift task blocks a thread of the cooperative pool: reported
///   (`blocking_in_task`, once per call site), then the wait goes on.
public final class CheckedCondition: @unchecked Sendable {
    @usableFromInline let condition: UnsafeMutablePointer<pthread_cond_t>
    /// Shown in reports.
    public let name: String

    /// Creates a condition variable; `name` is shown in reports (nil: its creation site).
    public init(_ name: String? = nil, fileID: StaticString = #fileID, line: UInt = #line) {
        condition = LockOperations.makeCondition()
        self.name = name ?? "\(fileID):\(line)"
    }

    deinit {
        LockOperations.destroy(condition)
    }

    /// Waits until signalled: releases `mutex`, sleeps, and takes `mutex` again before it
    /// returns. The calling thread must hold `mutex`. May return spuriously.
    public func wait(on mutex: CheckedMutex, fileID: StaticString = #fileID, line: UInt = #line) {
        _ = wait(on: mutex, deadline: nil, site: SourceSite(fileID: fileID, line: line))
    }

    /// Waits until signalled or until `timeout` has passed. Returns true when woken (by a signal,
    /// a broadcast or spuriously), false when the timeout passed; either way `mutex` is held again.
    @discardableResult
    public func wait(
        on mutex: CheckedMutex, timeout: Duration, fileID: StaticString = #fileID, line: UInt = #line
    ) -> Bool {
        wait(
            on: mutex, deadline: LockOperations.deadline(after: timeout),
            site: SourceSite(fileID: fileID, line: line))
    }

    /// Waits until signalled or until `deadline`. Returns true when woken (by a signal, a
    /// broadcast or spuriously), false when the deadline passed; either way `mutex` is held again.
    @discardableResult
    public func wait(
        on mutex: CheckedMutex, until deadline: ContinuousClock.Instant, fileID: StaticString = #fileID,
        line: UInt = #line
    ) -> Bool {
        wait(
            on: mutex, deadline: LockOperations.deadline(at: deadline),
            site: SourceSite(fileID: fileID, line: line))
    }

    /// Wakes one waiting thread, if any. The caller need not hold the mutex.
    public func signal() {
        LockOperations.signal(condition)
    }

    /// Wakes every waiting thread. The caller need not hold the mutex.
    public func broadcast() {
        LockOperations.broadcast(condition)
    }

    private func wait(on mutex: CheckedMutex, deadline: UInt64?, site: SourceSite) -> Bool {
        if LockOrder.isChecking,
            LockOrder.willWait(on: mutex.identity, condition: name, site: site) == .wait
        {
            LockOrder.willBlockInTask(waitingOn: "condition \(name)", mutex: mutex.identity, site: site)
            let woken = WaitRegistry.waiting(for: .condition(name), site: site) {
                LockOperations.wait(condition, mutex.mutex, deadline: deadline)
            }
            LockOrder.didWait(on: mutex.identity, site: site)
            return woken
        }
        // Not recorded by the checker: the raw mutex says whether this thread holds it.
        switch LockOperations.holder(of: mutex.mutex) {
        case .thisThread:
            if LockOrder.isChecking {
                LockOrder.willBlockInTask(waitingOn: "condition \(name)", mutex: mutex.identity, site: site)
            }
            return WaitRegistry.waiting(for: .condition(name), site: site) {
                LockOperations.wait(condition, mutex.mutex, deadline: deadline)
            }
        case let holder:
            if LockOrder.isChecking {
                LockOrder.reportWaitNotHeld(
                    mutex.identity, condition: name, heldByAnotherThread: holder == .anotherThread, site: site
                )
            }
            return true
        }
    }
}
