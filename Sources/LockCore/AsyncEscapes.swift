import LockOrderChecker

// The explicit escape from the `noasync` marks on `lock`, `unlock` and `tryLock` (SE-0340).
//
// A lock taken in an async function and held across an `await` can be released by another
// thread (the task resumes wherever the executor puts it) and blocks a thread of the
// cooperative pool while it waits: so the plain calls are unavailable from async code, and
// `withLock`, whose body is synchronous, is the safe way. Code that knows it releases the lock
// before any suspension point (or that holds it across one on purpose and accepts the reports)
// calls these instead; they are the same operations, greppable, and still checked at run time
// (`held_across_suspension`, `blocking_in_task`, docs/locks.md).

extension CheckedLock {
    /// `lock()` from async code, on purpose: the caller promises to release the lock before its
    /// next `await`, or accepts that a hold across one is reported (`held_across_suspension`).
    public func lockFromAsync(fileID: StaticString = #fileID, line: UInt = #line) {
        lock(fileID: fileID, line: line)
    }

    /// `unlock()` from async code, on purpose; see `lockFromAsync`.
    public func unlockFromAsync(fileID: StaticString = #fileID, line: UInt = #line) {
        unlock(fileID: fileID, line: line)
    }
}

extension CheckedMutex {
    /// `tryLock()` from async code, on purpose; see `lockFromAsync`.
    public func tryLockFromAsync(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        tryLock(fileID: fileID, line: line)
    }
}

extension CheckedReentrantMutex {
    /// `tryLock()` from async code, on purpose; see `lockFromAsync`.
    public func tryLockFromAsync(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        tryLock(fileID: fileID, line: line)
    }
}

extension CheckedSpinLock {
    /// `tryLock()` from async code, on purpose; see `lockFromAsync`.
    public func tryLockFromAsync(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        tryLock(fileID: fileID, line: line)
    }
}

extension CheckedReentrantSpinLock {
    /// `tryLock()` from async code, on purpose; see `lockFromAsync`.
    public func tryLockFromAsync(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        tryLock(fileID: fileID, line: line)
    }
}

extension CheckedReadWriteLock {
    /// `lockRead()` from async code, on purpose; see `CheckedLock.lockFromAsync`.
    public func lockReadFromAsync(fileID: StaticString = #fileID, line: UInt = #line) {
        lockRead(fileID: fileID, line: line)
    }

    /// `tryLockRead()` from async code, on purpose; see `CheckedLock.lockFromAsync`.
    public func tryLockReadFromAsync(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        tryLockRead(fileID: fileID, line: line)
    }

    /// `unlockRead()` from async code, on purpose; see `CheckedLock.lockFromAsync`.
    public func unlockReadFromAsync(fileID: StaticString = #fileID, line: UInt = #line) {
        unlockRead(fileID: fileID, line: line)
    }

    /// `lockWrite()` from async code, on purpose; see `CheckedLock.lockFromAsync`.
    public func lockWriteFromAsync(fileID: StaticString = #fileID, line: UInt = #line) {
        lockWrite(fileID: fileID, line: line)
    }

    /// `tryLockWrite()` from async code, on purpose; see `CheckedLock.lockFromAsync`.
    public func tryLockWriteFromAsync(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        tryLockWrite(fileID: fileID, line: line)
    }

    /// `unlockWrite()` from async code, on purpose; see `CheckedLock.lockFromAsync`.
    public func unlockWriteFromAsync(fileID: StaticString = #fileID, line: UInt = #line) {
        unlockWrite(fileID: fileID, line: line)
    }
}
