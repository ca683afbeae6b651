import CLockOrderSupport
import Synchronization

/// Every thread whose held stack the checker has started, so that a release made by a Swift
/// task on one thread can find the hold the same task made on another (a lock held across an
/// `await`, docs/locks.md), and the holds so released, until their own thread forgets them.
///
/// Only the thread that owns a held stack ever writes it. A release on another thread reads it
/// (under `lock`, which also keeps the thread from ending meanwhile) and leaves a
/// `ReleasedElsewhere` record; the owning thread removes the hold at its next slow path
/// (`forgetHoldsReleasedElsewhere`). Reading another thread's stack races with that thread's
/// own pushes and pops above the hold, never with the hold itself: the task that made it is
/// suspended or running elsewhere, so nothing on the owning thread releases it.
final class TaskHoldRegistry: @unchecked Sendable {
    static let shared = TaskHoldRegistry()

    /// How many threads can be registered at once; past it, holds made on further threads are
    /// not found from other threads (announced once).
    static let capacity = 4096

    /// A hold released by its task on another thread.
    struct ReleasedElsewhere {
        let state: UnsafeMutablePointer<lockorder_thread_state>
        let epoch: UInt64
        let lockID: UInt64
        let task: UInt64
        let shared: Bool
    }

    /// A hold found on another thread: its entry and the thread that made it.
    struct ForeignHold {
        let entry: lockorder_held_lock
        let thread: UInt64
    }

    private let lock = RawMutex()
    private var states: [UnsafeMutablePointer<lockorder_thread_state>] = []
    private var releasedElsewhere: [ReleasedElsewhere] = []
    /// `releasedElsewhere.count`, read without the lock by every slow path.
    private let pendingCount = Atomic<Int>(0)

    /// Adds the calling thread's state; false when the registry is full.
    func register(_ state: UnsafeMutablePointer<lockorder_thread_state>) -> Bool {
        if state.pointee.registered != 0 { return true }
        return lock.withLock {
            guard states.count < Self.capacity else { return false }
            states.append(state)
            state.pointee.registered = 1
            return true
        }
    }

    /// Removes an ending thread's state and the records about it.
    func unregister(_ state: UnsafeMutablePointer<lockorder_thread_state>) {
        guard state.pointee.registered != 0 else { return }
        lock.withLock {
            if let index = states.firstIndex(of: state) { states.swapAt(index, states.count - 1) }
            if states.last == state { states.removeLast() }
            state.pointee.registered = 0
            let before = releasedElsewhere.count
            releasedElsewhere.removeAll { $0.state == state }
            pendingCount.subtract(before - releasedElsewhere.count, ordering: .relaxed)
        }
    }

    /// Finds a hold of `lockID` in the given mode that `task` made on a thread other than
    /// `current`'s, in the current checking epoch, and not already released elsewhere; when
    /// found, records it as released (one hold: a re-entered lock keeps its other holds).
    func takeHoldReleasedElsewhere(
        lockID: UInt64, task: UInt64, shared: Bool, by current: UnsafeMutablePointer<lockorder_thread_state>
    ) -> ForeignHold? {
        guard task != 0 else { return nil }
        let epoch = lockorder_epoch()
        return lock.withLock { () -> ForeignHold? in
            for state in states where state != current && state.pointee.epoch == epoch {
                let held = lockorder_held_locks(state)!
                let tasks = lockorder_held_tasks(state)!
                let depth = min(Int(state.pointee.depth), Int(LOCKORDER_HELD_CAPACITY))
                for index in stride(from: depth - 1, through: 0, by: -1)
                where held[index].lock_id == lockID && tasks[index] == task
                    && (held[index].flags & UInt8(LOCKORDER_HELD_SHARED) != 0) == shared
                {
                    let alreadyReleased = releasedElsewhere.filter {
                        $0.state == state && $0.lockID == lockID && $0.task == task && $0.epoch == epoch
                    }.count
                    // Records are kept in stack order (the highest holds first), matching
                    // how the owning thread forgets them.
                    if Int(held[index].recursion) + 1 - alreadyReleased <= 0 { continue }
                    releasedElsewhere.append(
                        ReleasedElsewhere(
                            state: state, epoch: epoch, lockID: lockID, task: task, shared: shared))
                    pendingCount.add(1, ordering: .relaxed)
                    return ForeignHold(entry: held[index], thread: state.pointee.serial)
                }
            }
            return nil
        }
    }

    /// Forgets the holds of the calling thread that their tasks released on other threads. Called
    /// at the start of every slow path; one relaxed load when there are none.
    func forgetHoldsReleasedElsewhere(_ state: UnsafeMutablePointer<lockorder_thread_state>) {
        guard pendingCount.load(ordering: .relaxed) != 0 else { return }
        lock.withLock {
            var kept: [ReleasedElsewhere] = []
            var forgotten = 0
            for record in releasedElsewhere {
                guard record.state == state else {
                    kept.append(record)
                    continue
                }
                forgotten += 1
                guard record.epoch == state.pointee.epoch else { continue }  // the stack was discarded
                let held = lockorder_held_locks(state)!
                let tasks = lockorder_held_tasks(state)!
                let depth = Int(state.pointee.depth)
                let modeBit: UInt8 = record.shared ? UInt8(LOCKORDER_HELD_SHARED) : 0
                guard
                    let index = stride(from: depth - 1, through: 0, by: -1).first(where: {
                        held[$0].lock_id == record.lockID && tasks[$0] == record.task
                            && held[$0].flags & UInt8(LOCKORDER_HELD_SHARED) == modeBit
                    })
                else { continue }
                if held[index].recursion > 0 {
                    held[index].recursion -= 1
                } else {
                    HeldStack.remove(at: index, from: state)
                }
            }
            releasedElsewhere = kept
            pendingCount.subtract(forgotten, ordering: .relaxed)
        }
    }
}

extension CheckerState {
    /// Puts a thread whose held stack starts in the registry, or says once that it is full.
    func registerForTasks(_ state: UnsafeMutablePointer<lockorder_thread_state>) {
        if TaskHoldRegistry.shared.register(state) { return }
        announceCapacity(
            "registered threads",
            "more than \(TaskHoldRegistry.capacity) threads use checked locks at once; a lock a task holds across "
                + "an await on a further thread is not found from other threads, every other check goes on")
    }
}
