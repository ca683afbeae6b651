import LockOrderChecker
import Synchronization

/// A reentrant spin lock, the kind of Julia's `jl_mutex_t`: the owning thread may take it
/// again; it is released when its count returns to zero.
///
/// It must not be held across blocking calls or task switches (Julia: "jl_mutex_t must not be
/// held across task switches"; declare that as a forbidden operation in the hierarchy and call
/// `LockOrder.willPerform(.taskSwitch)`).
///
/// Guarantees: those of `CheckedReentrantMutex` (docs/locks.md).
public final class CheckedReentrantSpinLock: CheckedLock, @unchecked Sendable {
    /// The owning thread's serial, 0 when free: the lock word itself.
    @usableFromInline let owner = Atomic<UInt64>(0)
    /// How many times the owner holds it; touched only by the owner.
    @exclusivity(unchecked) @usableFromInline var count = 0
    @usableFromInline let tracking: LockTracking

    /// Creates a reentrant spin lock; the parameters are those of `CheckedMutex.init`.
    public init(
        _ name: String? = nil, class lockClass: LockClass = .creationSite, options: [LockOption] = [],
        orderKey: UInt64? = nil, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        tracking = LockTracking(
            name: name, lockClass: lockClass, kind: .reentrantSpinLock, options: options, orderKey: orderKey,
            fileID: fileID, line: line)
    }

    deinit {
        _ = tracking.destroy(isHeld: { owner.load(ordering: .relaxed) != 0 })
    }

    /// The lock's identity for the checker.
    public var identity: LockIdentity { tracking.identity }

    /// How many times the calling thread holds the lock (0 when it does not).
    public var holdCount: Int {
        owner.load(ordering: .relaxed) == ThreadIdentity.current ? count : 0
    }

    @inlinable @inline(__always)
    func attempt(_ me: UInt64) -> Bool {
        owner.load(ordering: .relaxed) == 0
            && owner.compareExchange(expected: 0, desired: me, ordering: .acquiring).exchanged
    }

    /// Spins until the calling thread holds the lock, or increments its count when it already
    /// does. Returns only with the lock held.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        guard let epoch = LockOrder.fastPathEpoch else {
            _ = acquire(.blocking, deadline: nil)
            return
        }
        if tracking.acquireOnFastPath(
            in: epoch, mode: .exclusive, attempt: .blocking, site: SourceSite(fileID: fileID, line: line),
            { acquireNotingWait(fileID: fileID, line: line) }) == nil
        {
            _ = acquireOnSlowPath(.blocking, deadline: nil, fileID: fileID, line: line)
        }
    }

    /// Takes the lock if it is free or already the caller's. Returns true only when the calling
    /// thread now holds it.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func tryLock(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        guard let epoch = LockOrder.fastPathEpoch else { return acquire(.tryLock, deadline: nil) }
        return tracking.acquireOnFastPath(
            in: epoch, mode: .exclusive, attempt: .tryLock, site: SourceSite(fileID: fileID, line: line),
            { acquire(.tryLock, deadline: nil) })
            ?? acquireOnSlowPath(.tryLock, deadline: nil, fileID: fileID, line: line)
    }

    /// Spins at most `timeout`. Returns true only when the calling thread now holds the lock.
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func tryLock(for timeout: Duration, fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        let deadline = LockOperations.monotonicNanoseconds() + UInt64(LockOperations.nanoseconds(timeout))
        if LockOrder.isChecking {
            return acquireOnSlowPath(.timed, deadline: deadline, fileID: fileID, line: line)
        }
        return acquire(.timed, deadline: deadline)
    }

    /// Re-entry, or the raw acquisition (the owner word is the lock). With `site` (checking on),
    /// a spin is published as a wait for the watchdog.
    @inlinable @inline(__always)
    func acquire(_ attempt: AcquireAttempt, deadline: UInt64?, publishingAt site: SourceSite? = nil) -> Bool {
        let me = ThreadIdentity.current
        if owner.load(ordering: .relaxed) == me {
            count += 1
            return true
        }
        let taken: Bool =
            switch attempt {
            case .tryLock: self.attempt(me)
            case .blocking, .timed:
                if let site {
                    self.attempt(me)
                        || LockOperations.spin(until: deadline, as: tracking.identity, site: site) {
                            self.attempt(me)
                        }
                } else {
                    self.attempt(me) || LockOperations.spin(until: deadline) { self.attempt(me) }
                }
            }
        if taken { count = 1 }
        return taken
    }

    @usableFromInline @inline(never)
    func acquireOnSlowPath(_ attempt: AcquireAttempt, deadline: UInt64?, fileID: StaticString, line: UInt)
        -> Bool
    {
        let site = SourceSite(fileID: fileID, line: line)
        return tracking.acquire(mode: .exclusive, attempt: attempt, site: site) {
            attempt == .blocking
                ? acquireNotingWait(fileID: fileID, line: line)
                : acquire(attempt, deadline: deadline, publishingAt: site)
        }
    }

    /// A checked blocking acquisition: a first attempt (a re-entry or a free lock), and when
    /// another thread holds it, the checker hears of the wait (`blocking_in_task` in a task).
    @inlinable @inline(__always)
    func acquireNotingWait(fileID: StaticString, line: UInt) -> Bool {
        if acquire(.tryLock, deadline: nil) { return true }
        let site = SourceSite(fileID: fileID, line: line)
        tracking.willWait(mode: .exclusive, site: site)
        return acquire(.blocking, deadline: nil, publishingAt: site)
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
        if count == 0 { owner.store(0, ordering: .releasing) }
    }
}
