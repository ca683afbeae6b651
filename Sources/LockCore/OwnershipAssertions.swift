import LockOrderChecker

// `assertHeld` / `assertNotHeld` and `withLockIfAvailable` for every lock type: the first API
// gaps an adopter meets when moving from `Synchronization.Mutex`, abseil or lockdep.

extension CheckedLock {
    /// Reports `ownership_assertion` unless the calling thread holds the lock. Answered from
    /// the checker's held stack: with checking off it costs one branch and asserts nothing.
    @inlinable @inline(__always)
    public func assertHeld(fileID: StaticString = #fileID, line: UInt = #line) {
        LockOrder.assertHeld(identity, site: SourceSite(fileID: fileID, line: line))
    }

    /// Reports `ownership_assertion` when the calling thread holds the lock (code that takes it
    /// itself, or must not run under it). One branch with checking off.
    @inlinable @inline(__always)
    public func assertNotHeld(fileID: StaticString = #fileID, line: UInt = #line) {
        LockOrder.assertNotHeld(identity, site: SourceSite(fileID: fileID, line: line))
    }

    /// Runs `body` holding the lock if it can be taken without waiting (a trylock); returns nil,
    /// without running `body`, when it cannot. The lock is released on every exit, including a
    /// throw from `body` (rethrown with its type). A trylock cannot deadlock, so it is exempt
    /// from the order rules; once held it orders later acquisitions.
    @inlinable
    public func withLockIfAvailable<Result, Failure: Error>(
        fileID: StaticString = #fileID, line: UInt = #line, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard tryLock(fileID: fileID, line: line) else { return nil }
        defer { unlock(fileID: fileID, line: line) }
        return try body()
    }
}

extension CheckedReadWriteLock {
    /// Reports `ownership_assertion` unless the calling thread holds the lock in `mode` (either
    /// mode when nil). One branch with checking off.
    @inlinable @inline(__always)
    public func assertHeld(mode: AccessMode? = nil, fileID: StaticString = #fileID, line: UInt = #line) {
        LockOrder.assertHeld(identity, mode: mode, site: SourceSite(fileID: fileID, line: line))
    }

    /// Reports `ownership_assertion` when the calling thread holds the lock in either mode.
    @inlinable @inline(__always)
    public func assertNotHeld(fileID: StaticString = #fileID, line: UInt = #line) {
        LockOrder.assertNotHeld(identity, site: SourceSite(fileID: fileID, line: line))
    }

    /// Runs `body` holding the write side if it is free now; nil, without running `body`,
    /// otherwise. Releases on every exit, including a throw.
    @inlinable
    public func withWriteLockIfAvailable<Result, Failure: Error>(
        fileID: StaticString = #fileID, line: UInt = #line, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard tryLockWrite(fileID: fileID, line: line) else { return nil }
        defer { unlockWrite(fileID: fileID, line: line) }
        return try body()
    }

    /// Runs `body` holding the read side if no writer holds it now; nil, without running
    /// `body`, otherwise. Releases on every exit, including a throw.
    @inlinable
    public func withReadLockIfAvailable<Result, Failure: Error>(
        fileID: StaticString = #fileID, line: UInt = #line, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard tryLockRead(fileID: fileID, line: line) else { return nil }
        defer { unlockRead(fileID: fileID, line: line) }
        return try body()
    }
}
