import CLockOrderSupport

/// The calls about Swift tasks, for lock types (LockCore's and users'). See docs/locks.md,
/// "Async code".
extension LockOrder {
    /// After `willRelease` answered `.notHeld` and the raw lock says another thread holds it:
    /// whether the calling task acquired `lock` on another thread and held it across an
    /// `await`. If so, reports `held_across_suspension`, forgets that hold (its thread drops it
    /// at its next slow path) and answers true: release the raw lock (when `canRelease`; a lock
    /// that cannot be released from another thread answers true after saying so, and stays
    /// held). False: not a task's hold; report `reportUnlockNotHeld` as before.
    @inline(never)
    public static func releaseHeldAcrossSuspension(
        _ lock: LockIdentity, mode: AccessMode = .exclusive, canRelease: Bool = true, site: SourceSite
    ) -> Bool {
        guard let state = checkedThreadState() else { return false }
        let task = CurrentTask.sampled
        guard
            let hold = TaskHoldRegistry.shared.takeHoldReleasedElsewhere(
                lockID: lock.id, task: task, shared: mode == .shared, by: state)
        else { return false }
        CheckerState.shared.reportHeldAcrossSuspension(
            lock, mode: mode, site: site, hold: hold.entry, holdThread: hold.thread, task: task,
            released: canRelease, state: state)
        return true
    }

    /// A blocking acquisition found `lock` taken by another thread and is about to wait. Inside
    /// a task that blocks a thread of the cooperative pool: reports `blocking_in_task` (once per
    /// call site; repeats are counted). Outside a task: nothing. Call it only when contended
    /// (an uncontended acquisition is not reported).
    @inline(never)
    public static func willWaitForLock(_ lock: LockIdentity, mode: AccessMode = .exclusive, site: SourceSite)
    {
        let task = CurrentTask.sampled
        guard task != 0, let state = checkedThreadState() else { return }
        CheckerState.shared.reportBlockingInTask(lock, mode: mode, site: site, task: task, state: state)
    }

    /// A wait that is not for a lock is about to block the calling thread: a condition wait
    /// (`mutex` is the condition's), or a semaphore wait that found no unit. Inside a task that
    /// blocks a thread of the cooperative pool: reports `blocking_in_task` (once per call site;
    /// repeats are counted). Outside a task: nothing. `what` names what is waited on, e.g.
    /// `condition ready` or `semaphore jobs`.
    @inline(never)
    public static func willBlockInTask(
        waitingOn what: @autoclosure () -> String, mutex: LockIdentity? = nil, site: SourceSite
    ) {
        let task = CurrentTask.sampled
        guard task != 0, let state = checkedThreadState() else { return }
        CheckerState.shared.reportBlockingWaitInTask(
            waitingOn: what(), mutex: mutex, site: site, task: task, state: state)
    }

    /// An acquisition of a lock this thread already holds, from the held entry at `index`:
    /// when another task made that hold (it suspended holding the lock and this thread now runs
    /// the caller), reports `held_by_suspended_task` and answers true; the caller then goes on
    /// to the raw lock, as it would unchecked (no self-deadlock report, no stop: the holder may
    /// resume elsewhere and release it).
    static func heldBySuspendedTask(
        _ lock: LockIdentity, mode: AccessMode, attempt: AcquireAttempt, heldIndex index: Int,
        site: SourceSite, state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> Bool {
        let holder = lockorder_held_tasks(state)![index]
        guard holder != 0 else { return false }
        let waiter = CurrentTask.sampled
        guard waiter != holder else { return false }
        let heldEntry = lockorder_held_locks(state)! + index
        // Two readers of a lock that lets a reader re-take it are allowed, whoever they are.
        if !lock.kind.isReentrant
            && isPermittedReentry(lock, mode: mode, attempt: attempt, heldEntry: heldEntry)
        {
            return true
        }
        CheckerState.shared.reportHeldBySuspendedTask(
            lock, mode: mode, site: site, holdIndex: index, holder: holder, waiter: waiter, state: state)
        return true
    }
}
