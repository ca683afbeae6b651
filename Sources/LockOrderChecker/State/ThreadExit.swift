import CLockOrderSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Reports locks still held when a thread ends (`held_at_exit`): through a pthread key
/// destructor for every thread that used checked locks, and through `atexit` for the thread
/// that ends the process (key destructors never run for the main thread).
enum ThreadExit {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        checkPthread(pthread_key_create(&key, threadDidExit), "pthread_key_create")
        return key
    }()

    /// Makes sure the calling thread's destructor runs at its exit (it only runs for a
    /// non-NULL value).
    static func arm() {
        _ = pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
    }

    static func installProcessExitHook() {
        atexit(processDidExit)
    }

    /// Reports the calling thread's held locks and forgets them.
    static func checkCurrentThreadAtExit() {
        let state = lockorder_current_thread_state()!
        guard lockorder_mode() != UInt8(LOCKORDER_MODE_OFF),
            lockorder_mode() != UInt8(LOCKORDER_MODE_UNCONFIGURED),
            state.pointee.epoch == lockorder_epoch(),
            state.pointee.depth > 0 || state.pointee.untracked > 0, state.pointee.in_checker == 0
        else { return }
        CheckerState.shared.reportHeldAtExit(state)
    }
}

/// Called by the C runtime on a thread's exit, so it must not be a closure of main.swift.
private func threadDidExit(_: UnsafeMutableRawPointer?) {
    ThreadExit.checkCurrentThreadAtExit()
    if WaitRegistry.isPublishing.load(ordering: .relaxed) {
        ThreadRegistry.remove(lockorder_current_thread_state()!)
    }
}

private func processDidExit() {
    CheckerState.shared.processWillExit()
}

extension CheckerState {
    func reportHeldAtExit(_ state: UnsafeMutablePointer<lockorder_thread_state>) {
        slowPath(state) {
            let finding = tables.withLock { tables -> Finding in
                let held = tables.heldSnapshots(state)
                let heldEntries = lockorder_held_locks(state)!
                return Finding(
                    reason: .heldAtExit(untracked: Int(state.pointee.untracked)), lock: nil, held: held,
                    classIDs: (0..<Int(state.pointee.depth)).map { heldEntries[$0].class_id },
                    site: held.last?.site ?? "?")
            }
            state.pointee.depth = 0
            state.pointee.untracked = 0
            report([ViolationCandidate(finding)])
        }
    }
}
