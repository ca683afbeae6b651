import CLockOrderSupport

/// The threads that use checked locks while the watchdog is on, so that the watchdog can find
/// who holds a lock a thread waits for, and where it took it.
///
/// A thread adds itself when checking starts on it and removes itself at its exit, under
/// `lock`. The watchdog only ever tries that lock (`tryLock`): when a thread is starting or
/// ending, the watchdog skips the round instead of waiting.
enum ThreadRegistry {
    struct Entry {
        let state: UnsafeMutablePointer<lockorder_thread_state>
        let tid: Int64
    }

    /// A registered thread as the watchdog read it.
    struct Thread {
        let serial: UInt64
        let tid: Int64
        /// Its held locks, oldest first (read while the thread may run: a thread that waits
        /// does not change them).
        let held: [lockorder_held_lock]
    }

    private static let lock = RawMutex()
    nonisolated(unsafe) private static var entries: [Entry] = []

    static func add(_ state: UnsafeMutablePointer<lockorder_thread_state>) {
        let tid = lockorder_thread_id()
        _ = ThreadIdentity.current
        lock.withLock { entries.append(Entry(state: state, tid: tid)) }
    }

    static func remove(_ state: UnsafeMutablePointer<lockorder_thread_state>) {
        lock.withLock { entries.removeAll { $0.state == state } }
    }

    /// Every registered thread with its held locks; nil when the registry is busy (a thread is
    /// starting or ending): the watchdog tries again next round.
    static func snapshotIfFree() -> [Thread]? {
        guard lock.tryLock() else { return nil }
        defer { lock.unlock() }
        return entries.map { entry in
            let state = entry.state
            let depth = min(Int(state.pointee.depth), Int(LOCKORDER_HELD_CAPACITY))
            let held = lockorder_held_locks(state)!
            return Thread(serial: state.pointee.serial, tid: entry.tid, held: (0..<depth).map { held[$0] })
        }
    }
}
