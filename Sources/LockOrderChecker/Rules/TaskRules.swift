import CLockOrderSupport

/// The rules about Swift tasks (R29 to R31 of docs/rules.md; docs/locks.md, "Async code"): a lock
/// held across a suspension point, a lock held by a suspended task on the thread that wants it,
/// and a blocking wait on a thread of the cooperative pool. Each decides and builds a candidate;
/// `report` words nothing.
extension CheckerState {
    /// A task released, on this thread, a lock it acquired on another thread: it held the lock
    /// across an `await` (R29). `hold` is the acquisition's entry, `thread` the thread that made
    /// it.
    func reportHeldAcrossSuspension(
        _ identity: LockIdentity, mode: AccessMode, site: SourceSite, hold: lockorder_held_lock,
        holdThread: UInt64, task: UInt64, released: Bool, state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let candidate = tables.withLock { tables -> ViolationCandidate in
                let releasing = tables.snapshot(identity, mode: mode, orderKey: nil, site: site)
                let acquired = tables.snapshot(hold)
                let acquiredOn = holdThread == 0 ? "another thread" : "thread \(holdThread)"
                let outcome =
                    released
                    ? "the lock was released"
                    : "the lock was NOT released: glibc releases a write lock only on the thread that took it, so it stays held"
                return ViolationCandidate(
                    kind: .heldAcrossSuspension,
                    message:
                        "held across suspension: \(CurrentTask.describe(task)) releases \(releasing.name) on this thread; it acquired it at \(acquired.site ?? "?") on \(acquiredOn) and suspended while holding it",
                    lock: releasing, held: [acquired],
                    rule:
                        "a lock must not be held across an await: the task may resume on another thread, and while it is suspended its thread runs other tasks that may want the lock (\(outcome))",
                    hint:
                        "release \(releasing.name) before the await: take it with withLock around synchronous code only, or keep the state in an actor",
                    classIDs: [identity.classID], site: "\(site)")
            }
            report([candidate])
        }
    }

    /// A task wants a lock that another task holds on this same thread: the holder suspended
    /// while holding it, and this thread now runs the waiter (R30).
    func reportHeldBySuspendedTask(
        _ identity: LockIdentity, mode: AccessMode, site: SourceSite, holdIndex: Int, holder: UInt64,
        waiter: UInt64, state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let candidate = tables.withLock { tables -> ViolationCandidate in
                let acquiring = tables.snapshot(identity, mode: mode, orderKey: nil, site: site)
                let hold = tables.snapshot(lockorder_held_locks(state)![holdIndex])
                let consequence =
                    identity.kind.isReentrant
                    ? "\(identity.kind) counts holds by thread, so it lets this task in while the other is inside: no mutual exclusion"
                    : "this thread waits until the holder resumes on another thread and releases it, or forever if none is free"
                return ViolationCandidate(
                    kind: .heldBySuspendedTask,
                    message:
                        "held by suspended task: \(CurrentTask.describe(waiter)) acquires \(acquiring.name), which \(CurrentTask.describe(holder)) acquired on this thread at \(hold.site ?? "?") and holds across an await",
                    lock: acquiring, held: tables.heldSnapshots(state),
                    rule:
                        "a lock held across an await belongs to a suspended task, not to the thread, which meanwhile runs other tasks: \(consequence)",
                    hint:
                        "release \(acquiring.name) before the await in the task that holds it (withLock around synchronous code), or keep the state in an actor; a reentrant lock would let both tasks in",
                    classIDs: [identity.classID], site: "\(site)")
            }
            report([candidate])
        }
    }

    /// A task is about to wait for a lock another thread holds: it blocks a thread of the
    /// cooperative pool meanwhile (R31). Reported once per call site (the reporter counts
    /// repeats).
    func reportBlockingInTask(
        _ identity: LockIdentity, mode: AccessMode, site: SourceSite, task: UInt64,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let candidate = tables.withLock { tables -> ViolationCandidate in
                let acquiring = tables.snapshot(identity, mode: mode, orderKey: nil, site: site)
                return ViolationCandidate(
                    kind: .blockingInTask,
                    message:
                        "blocking in task: \(CurrentTask.describe(task)) waits for \(acquiring.name), which another thread holds, and blocks its thread meanwhile",
                    lock: acquiring, held: tables.heldSnapshots(state),
                    rule:
                        "a task must not block its thread waiting for a lock: the cooperative pool has one thread per core, and every blocked one is lost to all other tasks (the pool can run dry and hang)",
                    hint:
                        "keep the state in an actor, or use a non-blocking design; if a lock stays, hold it with withLock for short synchronous critical sections only",
                    classIDs: [identity.classID], site: "\(site)")
            }
            report([candidate])
        }
    }

    /// A task is about to block its thread in a wait that is not for a lock: a condition wait
    /// or a semaphore wait that found no unit (R31). Reported once per call site.
    func reportBlockingWaitInTask(
        waitingOn what: String, mutex: LockIdentity?, site: SourceSite, task: UInt64,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let candidate = tables.withLock { tables -> ViolationCandidate in
                let mutexSnapshot = mutex.map {
                    tables.snapshot($0, mode: .exclusive, orderKey: nil, site: site)
                }
                let through = mutexSnapshot.map { " with \($0.name)" } ?? ""
                return ViolationCandidate(
                    kind: .blockingInTask,
                    message:
                        "blocking in task: \(CurrentTask.describe(task)) waits on \(what)\(through) and blocks its thread meanwhile",
                    lock: mutexSnapshot, held: tables.heldSnapshots(state),
                    rule:
                        "a task must not block its thread waiting: the cooperative pool has one thread per core, and every blocked one is lost to all other tasks (the pool can run dry and hang)",
                    hint:
                        "await instead of waiting: resume the task from the signalling side (withCheckedContinuation, an AsyncStream), or keep the state in an actor",
                    classIDs: mutex.map { [$0.classID] } ?? [], site: "\(site)")
            }
            report([candidate])
        }
    }
}
