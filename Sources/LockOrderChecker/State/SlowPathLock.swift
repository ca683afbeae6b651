import Synchronization

/// The one process-wide lock held while a backtrace is captured and while a report is printed.
///
/// Two threads' reports never interleave, because each prints under this lock; and a report
/// raised on a thread that is already producing one does not self-deadlock, because the lock is
/// re-entrant on its owning thread (the role of the Rust `backtrace` crate's global lock).
/// Unlike that lock it is sound: the only way to hold it is `withLock`, whose scope bounds the
/// hold, so no guard can outlive the code that took it. It is a raw primitive: taking it is
/// never reported to the checker.
package enum SlowPathLock {
    private static let mutex = RawMutex()
    /// Serial of the owning thread, 0 when free. Written only by the owner while it holds
    /// `mutex`; read by any thread to ask "do I hold it?", which only the owner can answer yes.
    private static let owner = Atomic<UInt64>(0)
    /// Re-entry depth; touched only by the thread that holds `mutex`.
    nonisolated(unsafe) private static var depth = 0

    /// Runs `body` holding the backtrace lock; re-entrant on the calling thread.
    ///
    /// The lock is released on every exit from the outermost call, including a throw.
    package static func withLock<Result, Failure: Error>(
        _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        // Marked as inside the checker (`CheckerMark`): a signal handler must not wait for it.
        try CheckerMark.inside { () throws(Failure) -> Result in try withLockMarked(body) }
    }

    private static func withLockMarked<Result, Failure: Error>(
        _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let me = ThreadIdentity.current
        if owner.load(ordering: .relaxed) == me {
            depth += 1
            defer { depth -= 1 }
            return try body()
        }
        mutex.lock()
        owner.store(me, ordering: .relaxed)
        depth = 1
        defer {
            depth = 0
            owner.store(0, ordering: .relaxed)
            mutex.unlock()
        }
        return try body()
    }

    /// Runs `body` holding the backtrace lock if it is free now; nil, without running it, when
    /// another thread holds it (the watchdog, which must never wait for a user thread).
    package static func withLockIfFree<Result>(_ body: () -> Result) -> Result? {
        guard mutex.tryLock() else { return nil }
        owner.store(ThreadIdentity.current, ordering: .relaxed)
        depth = 1
        defer {
            depth = 0
            owner.store(0, ordering: .relaxed)
            mutex.unlock()
        }
        return body()
    }

    /// Before a fork: takes the lock unless the calling thread already holds it; answers
    /// whether it did hold it (then nothing was taken, and nothing is released after the fork).
    static func lockForFork() -> Bool {
        if isHeldByCurrentThread { return true }
        mutex.lock()
        return false
    }

    /// After a fork, in the parent: releases what `lockForFork` took.
    static func unlockAfterFork() {
        mutex.unlock()
    }

    /// After a fork, in the child: the lock is new and free (no thread of the child held it).
    static func reinitializeInChild() {
        mutex.reinitialize()
        owner.store(0, ordering: .relaxed)
        depth = 0
    }

    /// Whether the calling thread holds the lock (for tests and assertions).
    package static var isHeldByCurrentThread: Bool {
        owner.load(ordering: .relaxed) == ThreadIdentity.current
    }

    /// The calling thread's re-entry depth: 0 when it does not hold the lock.
    package static var currentDepth: Int {
        isHeldByCurrentThread ? depth : 0
    }
}
