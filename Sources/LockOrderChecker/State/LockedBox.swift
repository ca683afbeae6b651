/// A value that can be reached only with its lock held: `withLock { (inout value) in ... }` is
/// the one way in, so "call this with the lock held" is a type, not a naming convention (the
/// shape of the standard library's `Mutex` and swift-nio's `NIOLockedValueBox`).
///
/// The lock is a ``RawMutex``, never a checked lock: the checker guards its own state with it,
/// and a checked lock there would report on (and recurse into) the checker itself.
package final class LockedBox<Value>: @unchecked Sendable {
    private let mutex = RawMutex()
    private var value: Value

    /// A box holding `value`.
    package init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` on the value with the lock held, and releases it on every exit.
    package func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        // RawMutex.withLock carries the in-checker mark while the lock is held (CheckerMark): a
        // signal handler that interrupts this thread is passed through, never waits for it.
        try mutex.withLock { () throws(Failure) -> Result in try body(&value) }
    }

    // MARK: fork (ForkHandlers): taken before, released in the parent, made new in the child

    /// Takes the lock in `pthread_atfork`'s prepare handler, so no thread is inside at the fork.
    package func lockForFork() { mutex.lock() }

    /// Releases it in the parent after the fork.
    package func unlockAfterFork() { mutex.unlock() }

    /// Makes the lock new in the child, where the thread that took it no longer exists.
    package func reinitializeInChild() { mutex.reinitialize() }
}
