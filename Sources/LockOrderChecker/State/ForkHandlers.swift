import CLockOrderSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps the checker usable in the child of a `fork` (docs/architecture.md, "Fork").
///
/// A child has only the forking thread. Had another thread held one of the checker's locks at
/// the fork, the child would find it held forever and hang on its first slow path. So the
/// forking thread takes every checker lock before the fork (`prepare`, in the checker's lock
/// order: the backtrace lock, the state lock, the symbolizer's cache lock), and afterwards
/// releases them in the parent and makes them new and free in the child. No other thread can
/// be inside a report or a slow path at the instant of the fork, so the child inherits
/// consistent tables: the learned order, the classes, the reports made so far. The other
/// threads' held stacks live in their own thread-local storage, which the child does not have.
enum ForkHandlers {
    /// Installs the handlers once per process.
    static func installOnce() {
        _ = installed
    }

    private static let installed: Void = {
        _ = pthread_atfork(forkWillStart, forkDidFinishInParent, forkDidFinishInChild)
    }()

    /// Whether the forking thread already held the backtrace lock (it then keeps it, in both
    /// processes, and releases it where it would have).
    nonisolated(unsafe) fileprivate static var heldSlowPathLock = false

    fileprivate static func prepare() {
        let state = lockorder_current_thread_state()!
        state.pointee.in_checker += 1
        state.pointee.gate = 0
        heldSlowPathLock = SlowPathLock.lockForFork()
        CheckerState.shared.tables.lockForFork()
        Symbolizer.shared.cacheLock.lock()
    }

    fileprivate static func finishInParent() {
        Symbolizer.shared.cacheLock.unlock()
        CheckerState.shared.tables.unlockAfterFork()
        if !heldSlowPathLock { SlowPathLock.unlockAfterFork() }
        lockorder_current_thread_state()!.pointee.in_checker -= 1
    }

    fileprivate static func finishInChild() {
        Symbolizer.shared.cacheLock.reinitialize()
        CheckerState.shared.tables.reinitializeInChild()
        if !heldSlowPathLock { SlowPathLock.reinitializeInChild() }
        lockorder_current_thread_state()!.pointee.in_checker -= 1
    }
}

/// The C runtime calls these, so they are plain functions, not closures of a main file.
private func forkWillStart() { ForkHandlers.prepare() }
private func forkDidFinishInParent() { ForkHandlers.finishInParent() }
private func forkDidFinishInChild() { ForkHandlers.finishInChild() }
