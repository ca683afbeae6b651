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
    TaskHoldRegistry.shared.unregister(lockorder_current_thread_state()!)
}

private func processDidExit() {
    CheckerState.shared.processWillExit()
}

extension CheckerState {
    func reportHeldAtExit(_ state: UnsafeMutablePointer<lockorder_thread_state>) {
        slowPath(state) {
            let candidate = tables.withLock { tables -> ViolationCandidate in
                let held = tables.heldSnapshots(state)
                let names = held.map(\.name).joined(separator: ", ")
                let heldEntries = lockorder_held_locks(state)!
                let classIDs = (0..<Int(state.pointee.depth)).map { heldEntries[$0].class_id }
                // Past the held stack's capacity the locks are counted, not named.
                let untracked = Int(state.pointee.untracked)
                let total = held.count + untracked
                let unnamed = untracked == 0 ? "" : " and \(untracked) more past the held stack's capacity"
                return ViolationCandidate(
                    kind: .heldAtExit,
                    message:
                        "held at exit: the thread ended holding \(total) lock\(total == 1 ? "" : "s"): \(names)\(unnamed)",
                    lock: nil, held: held,
                    rule: "a thread must release every lock it acquired before it ends",
                    hint:
                        "release \(names) before the thread returns (withLock releases on every exit, including a throw)",
                    classIDs: classIDs, site: held.last?.site ?? "?")
            }
            state.pointee.depth = 0
            state.pointee.untracked = 0
            report([candidate])
        }
    }
}
