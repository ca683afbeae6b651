import LockOrderChecker
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking mutex that the owning thread may lock again (the kind of `std::recursive_mutex`
/// and Julia's `ReentrantLock`); released when its count returns to zero.
///
/// Re-entry is not a new acquisition for the order rules. Built on a plain pthread mutex plus
/// an owner and a count, so it knows its count even with checking off.
///
/// Guarantees (docs/locks.md):
/// - `lock()` returns only with the lock held and its count incremented (LispWorks: "locking"
///   includes incrementing the count of a lock the thread already holds).
/// - `withLock` releases once on every exit, including a throw from its body.
/// - Unlocking more often than it was locked, or by a thread that does not hold it, is a
///   violation (`unlock_not_held` / `unlock_not_owner`) when checking is on and is ignored
///   when it is off: never a crash and never undefined behaviour.
/// - Destroying it while held is reported (`destroyed_while_held`).
public final class CheckedReentrantMutex: CheckedLock, @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let tracking: LockTracking
    /// The owning thread's serial, 0 when free; read by any thread, written by the owner.
    @usableFromInline let owner = Atomic<UInt64>(0)
    /// How many times the owner holds it; touched only by the owner.
    @exclusivity(unchecked) @usableFromInline var count = 0

    /// Creates a reentrant mutex; the parameters are those of `CheckedMutex.init`.
    public init(
        _ name: String? = nil, class lockClass: LockClass = .creationSite, options: [LockOption] = [],
        orderKey: UInt64? = nil, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        mutex = LockOperations.makeMutex()
        tracking = LockTracking(
            name: name, lockClass: lockClass, kind: .reentrantMutex, options: options, orderKey: orderKey,
            fileID: fileID, line: line)
    }

    deinit {
        if tracking.destroy(isHeld: { owner.load(ordering: .relaxed) != 0 })
            || owner.load(ordering: .relaxed) != 0
        {
            mutex.deallocate()
        } else {
            LockOperations.destroy(mutex)
        }
    }

    /// The lock's identity for the checker.
    public var identity: LockIdentity { tracking.identity }

    /// How many times the calling thread holds the lock (0 when it does not).
    public var holdCount: Int {
        owner.load(ordering: .relaxed) == ThreadIdentity.current ? count : 0
    }

    /// Blocks until the calling thread holds the lock, or increments its count when it already
    /// does. Returns only with the lock held.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        guard let epoch = LockOrder.fastPathEpoch else {
            _ = acquire(attempt: .blocking, timeout: nil)
            return
        }
        if tracking.acquireOnFastPath(
            in: epoch, mode: .exclusive, attempt: .blocking, site: SourceSite(fileID: fileID, line: line),
            { acquireNotingWait(fileID: fileID, line: line) }) == nil
        {
            _ = acquireOnSlowPath(.blocking, timeout: nil, fileID: fileID, line: line)
        }
    }

    /// Takes the lock if it is free or already the caller's. Returns true only when the calling
    /// thread now holds it.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func tryLock(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        guard let epoch = LockOrder.fastPathEpoch else { return acquire(attempt: .tryLock, timeout: nil) }
        return tracking.acquireOnFastPath(
            in: epoch, mode: .exclusive, attempt: .tryLock, site: SourceSite(fileID: fileID, line: line),
            { acquire(attempt: .tryLock, timeout: nil) })
            ?? acquireOnSlowPath(.tryLock, timeout: nil, fileID: fileID, line: line)
    }

    /// Waits at most `timeout`. Returns true only when the calling thread now holds the lock;
    /// false leaves nothing held (and the count unchanged).
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func tryLock(for timeout: Duration, fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        if LockOrder.isChecking {
            return acquireOnSlowPath(.timed, timeout: timeout, fileID: fileID, line: line)
        }
        return acquire(attempt: .timed, timeout: timeout)
    }

    /// Re-entry, or the raw acquisition followed by taking ownership. With `site` (checking on),
    /// a blocked acquisition is published as a wait for the watchdog.
    @inlinable @inline(__always)
    func acquire(attempt: AcquireAttempt, timeout: Duration?, publishingAt site: SourceSite? = nil) -> Bool {
        let me = ThreadIdentity.current
        if owner.load(ordering: .relaxed) == me {
            count += 1
            return true
        }
        guard rawAcquire(attempt, timeout: timeout, publishingAt: site) else { return false }
        owner.store(me, ordering: .relaxed)
        count = 1
        return true
    }

    @inlinable @inline(__always)
    func rawAcquire(_ attempt: AcquireAttempt, timeout: Duration?, publishingAt site: SourceSite?) -> Bool {
        switch attempt {
        case .blocking:
            if let site {
                LockOperations.lock(mutex, as: tracking.identity, site: site)
            } else {
                LockOperations.lock(mutex)
            }
            return true
        case .tryLock:
            return LockOperations.tryLock(mutex)
        case .timed:
            guard let site else { return LockOperations.lock(mutex, timeout: timeout ?? .zero) }
            return LockOperations.lock(mutex, timeout: timeout ?? .zero, as: tracking.identity, site: site)
        }
    }

    @usableFromInline @inline(never)
    func acquireOnSlowPath(_ attempt: AcquireAttempt, timeout: Duration?, fileID: StaticString, line: UInt)
        -> Bool
    {
        let site = SourceSite(fileID: fileID, line: line)
        return tracking.acquire(mode: .exclusive, attempt: attempt, site: site) {
            attempt == .blocking
                ? acquireNotingWait(fileID: fileID, line: line)
                : acquire(attempt: attempt, timeout: timeout, publishingAt: site)
        }
    }

    /// A checked blocking acquisition: a first attempt (a re-entry or a free lock), and when
    /// another thread holds it, the checker hears of the wait (`blocking_in_task` in a task).
    @inlinable @inline(__always)
    func acquireNotingWait(fileID: StaticString, line: UInt) -> Bool {
        if acquire(attempt: .tryLock, timeout: nil) { return true }
        let site = SourceSite(fileID: fileID, line: line)
        tracking.willWait(mode: .exclusive, site: site)
        return acquire(attempt: .blocking, timeout: nil, publishingAt: site)
    }

    /// Decrements the count and releases the lock when it reaches zero. An unlock by a thread
    /// that does not hold it is reported (checking on) or ignored (off), never performed.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func unlock(fileID: StaticString = #fileID, line: UInt = #line) {
        tracking.unlockReentrant(
            owner: owner, releaseOnce: { releaseOnce() },
            releaseOnSlowPath: { unlockOnSlowPath(fileID: fileID, line: line) })
    }

    @usableFromInline @inline(never)
    func unlockOnSlowPath(fileID: StaticString, line: UInt) {
        if tracking.releaseReentrant(owner: owner, site: SourceSite(fileID: fileID, line: line)) {
            releaseOnce()
        }
    }

    @inlinable @inline(__always)
    func releaseOnce() {
        count -= 1
        if count == 0 {
            owner.store(0, ordering: .relaxed)
            LockOperations.unlock(mutex)
        }
    }
}
