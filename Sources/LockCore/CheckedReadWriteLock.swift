import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// A reader-writer lock with shared (read) and exclusive (write) modes, LispWorks' sharing and
/// exclusive locks; every acquisition is reported to the lock-order checker.
///
/// Fairness, which the order checker needs to know (docs/graph.md):
/// - `.readerPreferring` (the default, glibc's default and `uv_rwlock_t`'s behaviour): readers
///   may overtake waiting writers, so a thread may re-take a read lock it holds, and a cycle
///   made only of read acquisitions of such a lock cannot deadlock. Writers can starve.
/// - `.writerPreferring`: a waiting writer blocks new readers, so re-taking a read lock can
///   deadlock against a queued writer (reported as a possible `self_deadlock`, not stopped),
///   and reads order like writes.
///
/// Guarantees (docs/locks.md): the lock and try forms return true only with the lock held; the
/// `with` forms release on every exit, including a throw; taking the write side while holding
/// either side, or the read side while holding the write side, is a certain self-deadlock
/// (reported, then the process stops); an unlock by a thread that does not hold the lock in
/// that mode is reported and not performed.
public final class CheckedReadWriteLock: @unchecked Sendable {
    /// Whether waiting writers hold back new readers.
    public enum Fairness: Sendable {
        /// Readers may overtake waiting writers (glibc's default).
        case readerPreferring
        /// A waiting writer blocks new readers.
        case writerPreferring
    }

    @usableFromInline let rwlock: UnsafeMutablePointer<pthread_rwlock_t>
    @usableFromInline let tracking: LockTracking

    /// Creates a reader-writer lock; the other parameters are those of `CheckedMutex.init`.
    public init(
        _ name: String? = nil, class lockClass: LockClass = .creationSite,
        fairness: Fairness = .readerPreferring,
        options: [LockOption] = [], orderKey: UInt64? = nil, fileID: StaticString = #fileID,
        line: UInt = #line
    ) {
        rwlock = LockOperations.makeReadWriteLock(prefersWriters: fairness == .writerPreferring)
        tracking = LockTracking(
            name: name, lockClass: lockClass,
            kind: fairness == .writerPreferring ? .writerPreferringRWLock : .readerPreferringRWLock,
            options: options,
            orderKey: orderKey, fileID: fileID, line: line)
    }

    /// Creates a reader-writer lock of a class declared in the hierarchy, named after it.
    public convenience init(
        declared name: String, fairness: Fairness = .readerPreferring, options: [LockOption] = [],
        orderKey: UInt64? = nil, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        self.init(
            name, class: .declared(name), fairness: fairness, options: options, orderKey: orderKey,
            fileID: fileID,
            line: line)
    }

    deinit {
        if tracking.destroy(isHeld: { LockOperations.isHeld(rwlock) }) {
            rwlock.deallocate()
        } else {
            LockOperations.destroy(rwlock)
        }
    }

    /// The lock's identity for the checker.
    public var identity: LockIdentity { tracking.identity }

    /// The lock's fairness.
    public var fairness: Fairness {
        identity.kind == .writerPreferringRWLock ? .writerPreferring : .readerPreferring
    }

    // MARK: Shared

    /// Blocks until the calling thread holds the read side. Returns only with it held.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withReadLock, whose body cannot await; or the FromAsync escapes")
    public func lockRead(fileID: StaticString = #fileID, line: UInt = #line) {
        // The raw lock and the identity first, then those alone: see `CheckedMutex.lock`.
        let rwlock = self.rwlock
        let identity = tracking.identity
        guard let epoch = LockOrder.fastPathEpoch else {
            LockOperations.readLock(rwlock)
            return
        }
        if LockTracking.acquireOnFastPath(
            identity, in: epoch, mode: .shared, attempt: .blocking,
            site: SourceSite(fileID: fileID, line: line),
            {
                CheckedReadWriteLockPaths.lockNotingWait(
                    rwlock, identity, .shared, fileID: fileID, line: line)
            }) == nil
        {
            _ = CheckedReadWriteLockPaths.acquireOnSlowPath(
                rwlock, identity, .shared, .blocking, timeout: nil, fileID: fileID, line: line)
        }
    }

    /// Takes the read side if no writer holds it. Returns true only when it is now held.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withReadLock, whose body cannot await; or the FromAsync escapes")
    public func tryLockRead(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        let rwlock = self.rwlock  // and the identity: see `lockRead`
        let identity = tracking.identity
        guard let epoch = LockOrder.fastPathEpoch else { return LockOperations.tryReadLock(rwlock) }
        return LockTracking.acquireOnFastPath(
            identity, in: epoch, mode: .shared, attempt: .tryLock,
            site: SourceSite(fileID: fileID, line: line),
            { LockOperations.tryReadLock(rwlock) })
            ?? CheckedReadWriteLockPaths.acquireOnSlowPath(
                rwlock, identity, .shared, .tryLock, timeout: nil, fileID: fileID, line: line)
    }

    /// Waits at most `timeout` for the read side. Returns true only when it is now held.
    @available(*, noasync, message: "use withReadLock, whose body cannot await; or the FromAsync escapes")
    public func tryLockRead(for timeout: Duration, fileID: StaticString = #fileID, line: UInt = #line) -> Bool
    {
        if LockOrder.isChecking {
            return CheckedReadWriteLockPaths.acquireOnSlowPath(
                rwlock, tracking.identity, .shared, .timed, timeout: timeout, fileID: fileID, line: line)
        }
        return LockOperations.readLock(rwlock, timeout: timeout)
    }

    /// Releases one hold of the read side.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withReadLock, whose body cannot await; or the FromAsync escapes")
    public func unlockRead(fileID: StaticString = #fileID, line: UInt = #line) {
        let rwlock = self.rwlock  // and the identity: see `lockRead`
        let identity = tracking.identity
        guard let epoch = LockOrder.fastPathEpoch else {
            LockOperations.unlock(rwlock)
            return
        }
        if LockTracking.releasesOnFastPath(identity, in: epoch, mode: .shared) {
            LockOperations.unlock(rwlock)
        } else {
            CheckedReadWriteLockPaths.releaseOnSlowPath(rwlock, identity, .shared, fileID: fileID, line: line)
        }
    }

    /// Runs `body` holding the read side; releases on every exit, including a throw.
    @inlinable
    public func withReadLock<Result, Failure: Error>(
        fileID: StaticString = #fileID, line: UInt = #line, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        lockRead(fileID: fileID, line: line)
        defer { unlockRead(fileID: fileID, line: line) }
        return try body()
    }

    // MARK: Exclusive

    /// Blocks until the calling thread holds the write side. Returns only with it held.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withWriteLock, whose body cannot await; or the FromAsync escapes")
    public func lockWrite(fileID: StaticString = #fileID, line: UInt = #line) {
        // The raw lock and the identity first, then those alone: see `CheckedMutex.lock`.
        let rwlock = self.rwlock
        let identity = tracking.identity
        guard let epoch = LockOrder.fastPathEpoch else {
            LockOperations.writeLock(rwlock)
            return
        }
        if LockTracking.acquireOnFastPath(
            identity, in: epoch, mode: .exclusive, attempt: .blocking,
            site: SourceSite(fileID: fileID, line: line),
            {
                CheckedReadWriteLockPaths.lockNotingWait(
                    rwlock, identity, .exclusive, fileID: fileID, line: line)
            }) == nil
        {
            _ = CheckedReadWriteLockPaths.acquireOnSlowPath(
                rwlock, identity, .exclusive, .blocking, timeout: nil, fileID: fileID, line: line)
        }
    }

    /// Takes the write side if the lock is free. Returns true only when it is now held.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withWriteLock, whose body cannot await; or the FromAsync escapes")
    public func tryLockWrite(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        let rwlock = self.rwlock  // and the identity: see `lockWrite`
        let identity = tracking.identity
        guard let epoch = LockOrder.fastPathEpoch else { return LockOperations.tryWriteLock(rwlock) }
        return LockTracking.acquireOnFastPath(
            identity, in: epoch, mode: .exclusive, attempt: .tryLock,
            site: SourceSite(fileID: fileID, line: line),
            { LockOperations.tryWriteLock(rwlock) })
            ?? CheckedReadWriteLockPaths.acquireOnSlowPath(
                rwlock, identity, .exclusive, .tryLock, timeout: nil, fileID: fileID, line: line)
    }

    /// Waits at most `timeout` for the write side. Returns true only when it is now held.
    @available(*, noasync, message: "use withWriteLock, whose body cannot await; or the FromAsync escapes")
    public func tryLockWrite(for timeout: Duration, fileID: StaticString = #fileID, line: UInt = #line)
        -> Bool
    {
        if LockOrder.isChecking {
            return CheckedReadWriteLockPaths.acquireOnSlowPath(
                rwlock, tracking.identity, .exclusive, .timed, timeout: timeout, fileID: fileID, line: line)
        }
        return LockOperations.writeLock(rwlock, timeout: timeout)
    }

    /// Releases the write side.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withWriteLock, whose body cannot await; or the FromAsync escapes")
    public func unlockWrite(fileID: StaticString = #fileID, line: UInt = #line) {
        let rwlock = self.rwlock  // and the identity: see `lockWrite`
        let identity = tracking.identity
        guard let epoch = LockOrder.fastPathEpoch else {
            LockOperations.unlock(rwlock)
            return
        }
        if LockTracking.releasesOnFastPath(identity, in: epoch, mode: .exclusive) {
            LockOperations.unlock(rwlock)
        } else {
            CheckedReadWriteLockPaths.releaseOnSlowPath(
                rwlock, identity, .exclusive, fileID: fileID, line: line)
        }
    }

    /// Runs `body` holding the write side; releases on every exit, including a throw.
    @inlinable
    public func withWriteLock<Result, Failure: Error>(
        fileID: StaticString = #fileID, line: UInt = #line, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        lockWrite(fileID: fileID, line: line)
        defer { unlockWrite(fileID: fileID, line: line) }
        return try body()
    }
}

/// `CheckedReadWriteLock`'s checked paths, on the raw lock and the identity alone (see
/// `CheckedMutexPaths`).
@usableFromInline
enum CheckedReadWriteLockPaths {
    @usableFromInline @inline(never) @_effects(releasenone)
    static func acquireOnSlowPath(
        _ rwlock: UnsafeMutablePointer<pthread_rwlock_t>, _ identity: LockIdentity, _ mode: AccessMode,
        _ attempt: AcquireAttempt, timeout: Duration?, fileID: StaticString, line: UInt
    ) -> Bool {
        LockTracking.acquire(
            identity, mode: mode, attempt: attempt, site: SourceSite(fileID: fileID, line: line)
        ) {
            switch (mode, attempt) {
            case (.shared, .blocking):
                return lockNotingWait(rwlock, identity, .shared, fileID: fileID, line: line)
            case (.shared, .tryLock): return LockOperations.tryReadLock(rwlock)
            case (.shared, .timed), (.exclusive, .timed):
                return LockOperations.lock(
                    rwlock, mode, timeout: timeout ?? .zero, as: identity,
                    site: SourceSite(fileID: fileID, line: line))
            case (.exclusive, .blocking):
                return lockNotingWait(rwlock, identity, .exclusive, fileID: fileID, line: line)
            case (.exclusive, .tryLock): return LockOperations.tryWriteLock(rwlock)
            }
        }
    }

    /// The raw blocking lock of a checked acquisition in `mode`: a first attempt, and when the
    /// lock is taken, the checker hears of the wait (`blocking_in_task` inside a task) first.
    @inlinable @inline(__always)
    static func lockNotingWait(
        _ rwlock: UnsafeMutablePointer<pthread_rwlock_t>, _ identity: LockIdentity, _ mode: AccessMode,
        fileID: StaticString, line: UInt
    ) -> Bool {
        let taken: Bool
        if case .shared = mode {  // matched: see `LockOrder.heldFlags`
            taken = LockOperations.tryReadLock(rwlock)
        } else {
            taken = LockOperations.tryWriteLock(rwlock)
        }
        if !taken {
            let site = SourceSite(fileID: fileID, line: line)
            LockTracking.willWait(identity, mode: mode, site: site)
            LockOperations.lockContended(rwlock, mode, as: identity, site: site)
        }
        return true
    }

    /// A release the quick path could not clear. A write hold its task took on another thread
    /// before an `await` cannot be released here: glibc releases a write lock by the writer's
    /// thread id (from another thread it would count as a read release), so it stays held.
    @usableFromInline @inline(never) @_effects(releasenone)
    static func releaseOnSlowPath(
        _ rwlock: UnsafeMutablePointer<pthread_rwlock_t>, _ identity: LockIdentity, _ mode: AccessMode,
        fileID: StaticString, line: UInt
    ) {
        LockTracking.release(
            identity, mode: mode, site: SourceSite(fileID: fileID, line: line), eachHoldIsRaw: true,
            canReleaseElsewhere: mode == .shared,
            rawHolder: { LockOperations.holder(of: rwlock, mode: mode) },
            releasing: { LockOperations.unlock(rwlock) })
    }
}
