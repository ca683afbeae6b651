import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking, non-reentrant mutex whose every acquisition is reported to the lock-order
/// checker (the kind of `uv_mutex_t` and `std::mutex`).
///
/// The pthread mutex lives out of line at a stable address. With checking off (LOCKORDER_CHECK
/// unset) each operation costs one extra predictable branch and nothing is checked; with it on,
/// the misuses below are reported and the guarantees hold.
///
/// Guarantees (docs/locks.md):
/// - `lock()` returns only with the lock held; `withLock` releases on every exit, including a
///   throw from its body, and never releases a lock it did not take.
/// - Locking it again on the thread that holds it is a certain self-deadlock: reported
///   (`self_deadlock`) before blocking, then the process stops (in every mode: going on would
///   hang).
/// - `unlock()` by a thread that does not hold it is reported (`unlock_not_held`, or
///   `unlock_not_owner` when another thread holds it) and the pthread unlock is not made.
/// - Destroying it while held is reported (`destroyed_while_held`).
public final class CheckedMutex: CheckedLock, @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let tracking: LockTracking

    /// Creates a mutex.
    ///
    /// - Parameters:
    ///   - name: shown in reports; nil shows the class name.
    ///   - lockClass: what the order rules key it by: the creation site (default), a name in
    ///     the hierarchy, or the instance alone.
    ///   - options: implicit-acquisition options such as `.safepoint`.
    ///   - orderKey: the instance-order key, for classes with an instance-order exception.
    public init(
        _ name: String? = nil, class lockClass: LockClass = .creationSite, options: [LockOption] = [],
        orderKey: UInt64? = nil, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        mutex = LockOperations.makeMutex()
        tracking = LockTracking(
            name: name, lockClass: lockClass, kind: .mutex, options: options, orderKey: orderKey,
            fileID: fileID,
            line: line)
    }

    deinit {
        if tracking.destroy(isHeld: { LockOperations.isHeld(mutex) }) {
            mutex.deallocate()
        } else {
            LockOperations.destroy(mutex)
        }
    }

    /// The lock's identity for the checker: id, class and name.
    public var identity: LockIdentity { tracking.identity }

    /// The instance-order key (the order the lock was borrowed from a pool); nil when none.
    public var orderKey: UInt64? {
        get { tracking.orderKey }
        set { tracking.setOrderKey(newValue) }
    }

    /// Blocks until the calling thread holds the mutex. Returns only with it held.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        // The operations read the raw mutex and the identity from the object first and go on
        // with those alone, calling only functions that release nothing: so a caller that
        // reached this lock through memory (an array element, a field) need not retain it
        // around the operation (docs/performance.md, "The retain").
        let mutex = self.mutex
        let identity = tracking.identity
        guard let epoch = LockOrder.fastPathEpoch else {
            LockOperations.lock(mutex)
            return
        }
        if LockTracking.acquireOnFastPath(
            identity, in: epoch, mode: .exclusive, attempt: .blocking,
            site: SourceSite(fileID: fileID, line: line),
            { CheckedMutexPaths.lockNotingWait(mutex, identity, fileID: fileID, line: line) }) == nil
        {
            CheckedMutexPaths.lockOnSlowPath(mutex, identity, fileID: fileID, line: line)
        }
    }

    /// Takes the mutex if it is free. Returns true only when the calling thread now holds it;
    /// false leaves nothing held. A trylock cannot deadlock, so it is exempt from the order
    /// rules, but once held it orders later acquisitions.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func tryLock(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        let mutex = self.mutex
        let identity = tracking.identity
        guard let epoch = LockOrder.fastPathEpoch else { return LockOperations.tryLock(mutex) }
        return LockTracking.acquireOnFastPath(
            identity, in: epoch, mode: .exclusive, attempt: .tryLock,
            site: SourceSite(fileID: fileID, line: line),
            { LockOperations.tryLock(mutex) })
            ?? CheckedMutexPaths.tryLockOnSlowPath(mutex, identity, fileID: fileID, line: line)
    }

    /// Waits at most `timeout` for the mutex. Returns true only when the calling thread now
    /// holds it; false (timed out) leaves nothing held. Checked like a blocking acquisition: it
    /// can still stall a thread until the timeout.
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func tryLock(for timeout: Duration, fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        if LockOrder.isChecking {
            return tracking.acquire(
                mode: .exclusive, attempt: .timed, site: SourceSite(fileID: fileID, line: line)
            ) {
                LockOperations.lock(
                    mutex, timeout: timeout, as: tracking.identity,
                    site: SourceSite(fileID: fileID, line: line))
            }
        }
        return LockOperations.lock(mutex, timeout: timeout)
    }

    /// Releases the mutex. With checking on, a release by a thread that does not hold it is
    /// reported and not performed (no undefined behaviour); the program goes on in report mode.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func unlock(fileID: StaticString = #fileID, line: UInt = #line) {
        let mutex = self.mutex  // and the identity: see `lock`
        let identity = tracking.identity
        guard let epoch = LockOrder.fastPathEpoch else {
            LockOperations.unlock(mutex)
            return
        }
        if LockTracking.releasesOnFastPath(identity, in: epoch, mode: .exclusive) {
            LockOperations.unlock(mutex)
        } else {
            CheckedMutexPaths.unlockOnSlowPath(mutex, identity, fileID: fileID, line: line)
        }
    }
}

/// `CheckedMutex`'s checked paths, on the raw mutex and the identity alone (see `CheckedMutex.lock`).
/// A namespace that is not a class: a class's static function is passed its metatype, which
/// the caller loads through the type's metadata accessor, a call.
///
/// The out-of-line calls an inlined operation can make are marked `@_effects(releasenone)`,
/// as the C it calls is (`LOCKORDER_RELEASES_NOTHING`): Swift's optimizer otherwise assumes
/// they may release the lock object, and retains it around every operation. The mark holds for
/// every object a caller can reach: the checker holds no reference to a lock object (it knows a
/// lock by its identity, a value), and what these paths release (the storage of the checker's
/// own tables, report text) only the checker can reach.
@usableFromInline
enum CheckedMutexPaths {
    @usableFromInline @inline(never) @_effects(releasenone)
    static func lockOnSlowPath(
        _ mutex: UnsafeMutablePointer<pthread_mutex_t>, _ identity: LockIdentity, fileID: StaticString,
        line: UInt
    ) {
        _ = LockTracking.acquire(
            identity, mode: .exclusive, attempt: .blocking, site: SourceSite(fileID: fileID, line: line)
        ) {
            lockNotingWait(mutex, identity, fileID: fileID, line: line)
        }
    }

    /// The raw blocking lock of a checked acquisition: a first attempt, and when the mutex is
    /// taken, the checker hears of the wait (`blocking_in_task` inside a task) before it starts,
    /// and the wait is published for the watchdog (`LockOperations.lockContended`).
    @inlinable @inline(__always)
    static func lockNotingWait(
        _ mutex: UnsafeMutablePointer<pthread_mutex_t>, _ identity: LockIdentity, fileID: StaticString,
        line: UInt
    ) -> Bool {
        if !LockOperations.tryLock(mutex) {
            let site = SourceSite(fileID: fileID, line: line)
            LockTracking.willWait(identity, mode: .exclusive, site: site)
            LockOperations.lockContended(mutex, as: identity, site: site)
        }
        return true
    }

    @usableFromInline @inline(never) @_effects(releasenone)
    static func tryLockOnSlowPath(
        _ mutex: UnsafeMutablePointer<pthread_mutex_t>, _ identity: LockIdentity, fileID: StaticString,
        line: UInt
    ) -> Bool {
        LockTracking.acquire(
            identity, mode: .exclusive, attempt: .tryLock, site: SourceSite(fileID: fileID, line: line)
        ) {
            LockOperations.tryLock(mutex)
        }
    }

    @usableFromInline @inline(never) @_effects(releasenone)
    static func unlockOnSlowPath(
        _ mutex: UnsafeMutablePointer<pthread_mutex_t>, _ identity: LockIdentity, fileID: StaticString,
        line: UInt
    ) {
        LockTracking.release(
            identity, mode: .exclusive, site: SourceSite(fileID: fileID, line: line),
            rawHolder: { LockOperations.holder(of: mutex) },
            releasing: { LockOperations.unlock(mutex) })
    }
}
