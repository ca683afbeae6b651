import CLockOrderSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The checker's own lock: a bare pthread mutex that reports nothing.
///
/// The checker never guards its state with a checked lock (it would recurse into itself), so
/// it keeps this primitive. The pthread object is allocated once and never moves.
package final class RawMutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// Creates an unlocked mutex.
    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        // The pthread interposer (docs/interpose.md) lets the checker's own locks be: the
        // thread's bypass is raised around init and destroy and for as long as it holds one, so
        // that nothing done under a checker lock (the Swift runtime's own locking included) is
        // checked or recurses into the checker.
        lockorder_bypass_enter()
        defer { lockorder_bypass_leave() }
        checkPthread(pthread_mutex_init(mutex, nil), "pthread_mutex_init")
    }

    deinit {
        lockorder_bypass_enter()
        checkPthread(pthread_mutex_destroy(mutex), "pthread_mutex_destroy")
        lockorder_bypass_leave()
        mutex.deallocate()
    }

    /// Blocks until the mutex is held by the calling thread.
    package func lock() {
        lockorder_bypass_enter()  // left by unlock()
        checkPthread(pthread_mutex_lock(mutex), "pthread_mutex_lock")
    }

    /// Takes the mutex if it is free and answers whether it did; never blocks.
    package func tryLock() -> Bool {
        lockorder_bypass_enter()  // left by unlock(), or now when not taken
        let result = pthread_mutex_trylock(mutex)
        if result == EBUSY {
            lockorder_bypass_leave()
            return false
        }
        checkPthread(result, "pthread_mutex_trylock")
        return true
    }

    /// Makes the mutex new and free, in the child of a fork whose parent held it (the fork
    /// handlers took it just before): its owner does not exist in the child.
    package func reinitialize() {
        checkPthread(pthread_mutex_init(mutex, nil), "pthread_mutex_init")
        lockorder_bypass_leave()  // raised by the lock() the fork handlers took: the new mutex is free
    }

    /// Releases the mutex; the calling thread must hold it.
    package func unlock() {
        defer { lockorder_bypass_leave() }  // raised by lock()
        checkPthread(pthread_mutex_unlock(mutex), "pthread_mutex_unlock")
    }

    /// Runs `body` with the mutex held and releases it on every exit, including a throw. The
    /// thread carries the in-checker mark meanwhile (`CheckerMark`), so a signal handler that
    /// interrupts it and takes a checked lock is passed through instead of waiting for this mutex.
    package func withLock<Result, Failure: Error>(
        _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try CheckerMark.inside { () throws(Failure) -> Result in
            lock()
            defer { unlock() }
            return try body()
        }
    }
}

/// Stops the process with a message naming the pthread call and its error when it failed.
///
/// A failing pthread call on the checker's own primitives means memory corruption or a broken
/// invariant; there is no sensible way to go on.
package func checkPthread(_ result: Int32, _ call: StaticString) {
    if result != 0 {
        StandardError.writeNow(
            "lockorder: internal error: \(call) failed: \(String(cString: strerror(result))) (\(result))\n")
        abort()
    }
}
