import CLockOrderSupport

/// Waits that are not locks: a condition variable's wait, which releases its mutex while the
/// thread sleeps and takes it again after, and a semaphore's wait (docs/locks.md).
///
/// A condition type calls `willWait` before its raw wait and `didWait` after; a semaphore type
/// calls `willWait(for:site:)` before its raw wait. Waiting while holding a lock other than the
/// condition's mutex is reported (`wait_while_holding`): every thread that needs that lock is
/// blocked until a signal, and the signalling thread may need it too.
extension LockOrder {
    /// What a condition wait may do, as `willWait` decided.
    public enum WaitVerdict: Sendable {
        /// The thread holds the mutex, as the checker recorded it: the checker now sees the mutex
        /// released; wait, then call `didWait`.
        case wait
        /// The checker has no record of the thread holding the mutex (or checking is off): ask
        /// the raw mutex. A mutex the thread holds raw (taken while checking was off) may be
        /// waited on without the checker; otherwise call `reportWaitNotHeld` and do not wait
        /// (a raw wait on a mutex not held is undefined behaviour).
        case notRecorded
    }

    /// Before a condition wait with `mutex`: checks that the thread holds it, reports a wait
    /// while holding any other lock, then records the mutex as released and checks its
    /// re-acquisition against the order rules before the thread blocks (the locks held after the
    /// wait are the same as before it, with the mutex taken last).
    ///
    /// - Parameters:
    ///   - mutex: the condition's mutex.
    ///   - condition: the condition's name, for reports.
    ///   - site: the wait's call site; the mutex's re-acquisition is recorded there.
    public static func willWait(on mutex: LockIdentity, condition: String, site: SourceSite) -> WaitVerdict {
        guard let state = checkedThreadState() else { return .notRecorded }
        let held = lockorder_held_locks(state)!
        let depth = Int(state.pointee.depth)
        guard
            let index = (0..<depth).last(where: {
                held[$0].lock_id == mutex.id && held[$0].flags & UInt8(LOCKORDER_HELD_SHARED) == 0
            })
        else { return .notRecorded }
        if depth > 1 {
            CheckerState.shared.reportWaitWhileHolding(
                mutex: mutex, waitingOn: "condition \(condition)", site: site, state: state)
        }
        HeldStack.remove(at: index, from: state)
        // The re-acquisition is checked now, before blocking, as every acquisition is.
        willAcquire(mutex, site: site)
        return .wait
    }

    /// After a condition wait that `willWait` cleared: the thread holds `mutex` again.
    public static func didWait(on mutex: LockIdentity, site: SourceSite) {
        didAcquire(mutex, site: site)
    }

    /// Before a wait for something that is not a lock (a semaphore, a thread, an event): reports
    /// a wait while holding any checked lock (`wait_while_holding`). `what` names what is waited
    /// for, e.g. `semaphore jobs`.
    public static func willWait(for what: @autoclosure () -> String, site: SourceSite) {
        guard let state = checkedThreadState(), state.pointee.depth > 0 else { return }
        CheckerState.shared.reportWaitWhileHolding(mutex: nil, waitingOn: what(), site: site, state: state)
    }

    /// Reports a condition wait with a mutex the calling thread does not hold (`wait_not_held`)
    /// after `willWait` answered `.notRecorded` and the raw mutex said so too. The wait must not
    /// be made.
    @inline(never)
    public static func reportWaitNotHeld(
        _ mutex: LockIdentity, condition: String, heldByAnotherThread: Bool, site: SourceSite
    ) {
        guard let state = checkedThreadState() else { return }
        CheckerState.shared.reportWaitNotHeld(
            mutex, condition: condition, heldByAnotherThread: heldByAnotherThread, site: site, state: state)
    }
}

extension CheckerState {
    func reportWaitWhileHolding(
        mutex: LockIdentity?, waitingOn what: String, site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let finding = tables.withLock { tables -> Finding in
                let entries = lockorder_held_locks(state)!
                let others = (0..<Int(state.pointee.depth)).reversed().filter {
                    entries[$0].lock_id != mutex?.id
                }
                return Finding(
                    reason: .waitWhileHolding(
                        waitingOn: what, others: others.map { tables.snapshot(entries[$0]).name }),
                    lock: mutex.map { tables.snapshot($0, mode: .exclusive, orderKey: nil, site: site) },
                    held: tables.heldSnapshots(state),
                    classIDs: (mutex.map { [$0.classID] } ?? []) + others.map { entries[$0].class_id },
                    site: "\(site)")
            }
            report([ViolationCandidate(finding)])
        }
    }

    func reportWaitNotHeld(
        _ mutex: LockIdentity, condition: String, heldByAnotherThread: Bool, site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let finding = tables.withLock { tables in
                Finding(
                    reason: .waitNotHeld(condition: condition, heldByAnotherThread: heldByAnotherThread),
                    lock: tables.snapshot(mutex, mode: .exclusive, orderKey: nil, site: site),
                    held: tables.heldSnapshots(state), classIDs: [mutex.classID], site: "\(site)")
            }
            report([ViolationCandidate(finding)])
        }
    }
}
