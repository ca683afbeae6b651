import CLockOrderSupport

/// Operations on a thread's held-lock stack (C `__thread` storage) beyond push and pop.
///
/// Each entry summarises the entries below it (chain key, "maybe held" id mask, lowest level),
/// so the fast path reads the top entry only; whoever removes an entry from the middle must
/// recompute the summaries above it, which is what `remove(at:from:)` does.
enum HeldStack {
    /// Finds the entry of `lock` and counts one more hold on it; false when the mask's "maybe"
    /// was a false positive (another lock with the same id bit).
    static func countAnotherHold(
        of lock: LockIdentity, in state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> Bool {
        let held = lockorder_held_locks(state)!
        for index in stride(from: Int(state.pointee.depth) - 1, through: 0, by: -1)
        where held[index].lock_id == lock.id {
            held[index].recursion += 1
            return true
        }
        return false
    }

    /// Removes the entry at `index`, moving the ones above it down and recomputing their
    /// summaries.
    static func remove(at index: Int, from state: UnsafeMutablePointer<lockorder_thread_state>) {
        let held = lockorder_held_locks(state)!
        let depth = Int(state.pointee.depth)
        guard index >= 0 && index < depth else { return }
        if index + 1 < depth {
            (held + index).update(from: held + index + 1, count: depth - index - 1)
            let tasks = lockorder_held_tasks(state)!
            (tasks + index).update(from: tasks + index + 1, count: depth - index - 1)
            let since = lockorder_held_since(state)!
            (since + index).update(from: since + index + 1, count: depth - index - 1)
        }
        state.pointee.depth = UInt32(depth - 1)
        recomputeSummaries(from: index, in: state)
    }

    /// Recomputes the summaries of entries `index...` from the entry below `index`.
    static func recomputeSummaries(from index: Int, in state: UnsafeMutablePointer<lockorder_thread_state>) {
        let held = lockorder_held_locks(state)!
        var chain = index > 0 ? held[index - 1].chain : UInt64(LOCKORDER_CHAIN_SEED)
        var idMask = index > 0 ? held[index - 1].id_mask : 0
        var minimumLevel = index > 0 ? held[index - 1].min_level : 0
        for position in index..<Int(state.pointee.depth) {
            let shared = held[position].flags & UInt8(LOCKORDER_HELD_SHARED) != 0
            chain = ChainKey.mix(
                chain, classID: held[position].class_id, lockID: held[position].lock_id, shared: shared)
            idMask |= 1 << (held[position].lock_id & 63)
            minimumLevel = lockorder_lower_level(minimumLevel, held[position].level)
            held[position].chain = chain
            held[position].id_mask = idMask
            held[position].min_level = minimumLevel
        }
    }
}
