/// The rules a report can say were broken; one vocabulary for the text on stderr and the JSON
/// lines (`rawValue` is the JSON spelling).
public enum ViolationKind: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// A lock of a higher level was acquired while a lower level was held.
    case levelInversion = "level_inversion"
    /// A lock of the same level as a held one was acquired and no exception allowed it.
    case sameLevel = "same_level"
    /// Several instance-ordered locks were acquired out of their order keys.
    case instanceOrder = "instance_order"
    /// An operation the hierarchy forbids while some lock is held (I/O, a safepoint...).
    case forbiddenOperation = "forbidden_operation"
    /// A thread tried to take a lock it already holds in a way that cannot succeed.
    case selfDeadlock = "self_deadlock"
    /// A thread released a lock nobody holds.
    case unlockNotHeld = "unlock_not_held"
    /// A thread released a lock that another thread holds.
    case unlockNotOwner = "unlock_not_owner"
    /// A lock was destroyed while a thread held it.
    case destroyedWhileHeld = "destroyed_while_held"
    /// A thread ended while holding locks.
    case heldAtExit = "held_at_exit"
    /// An acquisition closed a cycle in the learned lock order: a potential deadlock.
    case orderCycle = "order_cycle"
    /// `assertHeld` found the lock not held by the calling thread, or `assertNotHeld` found it held.
    case ownershipAssertion = "ownership_assertion"
    /// A checked container was modified (or, for a dictionary, read through `[]`) while an
    /// iteration, a lookup or an explicit `lock()` locked it or a container inside it.
    case containerLocked = "container_locked"
    /// A checked context was restarted while locked.
    case contextLocked = "context_locked"
    /// A thread waited on a condition or a semaphore while holding a lock other than the
    /// condition's own mutex.
    case waitWhileHolding = "wait_while_holding"
    /// A thread waited on a condition with a mutex it does not hold.
    case waitNotHeld = "wait_not_held"
    /// The watchdog saw threads each waiting for a lock another of them holds, twice in a row.
    case deadlock = "deadlock"
    /// The watchdog saw a wait last longer than LOCKORDER_WAIT_WARN.
    case longWait = "long_wait"
    /// A lock was held longer than LOCKORDER_HOLD_WARN (reported at its release).
    case longHold = "long_hold"
    /// A Swift task released, on one thread, a lock it acquired on another: it held the lock
    /// across an `await`.
    case heldAcrossSuspension = "held_across_suspension"
    /// A task acquired a lock that another task holds on the same thread, having suspended
    /// while holding it.
    case heldBySuspendedTask = "held_by_suspended_task"
    /// A task waited for a lock another thread held, blocking a thread of the cooperative pool.
    case blockingInTask = "blocking_in_task"

    /// Words for the headline, e.g. `level inversion`.
    public var description: String { rawValue.replacingUnderscores() }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? " " : $0 })
    }
}
