import CLockOrderSupport
import LockOrderChecker
import Synchronization

/// A non-reentrant spin lock: it spins with exponential backoff, then yields the CPU between
/// attempts. Every acquisition is reported to the lock-order checker.
///
/// For very short critical sections only. It must not be held across blocking calls (I/O,
/// waiting on another lock that may be held long, sleeping): waiters burn CPU, and a holder
/// descheduled for long makes every waiter spin.
///
/// Guarantees: those of `CheckedMutex` (docs/locks.md). Locking it again on the thread that
/// holds it is a certain self-deadlock: reported, then the process stops.
public final class CheckedSpinLock: CheckedLock, @unchecked Sendable {
    @usableFromInline let isLocked = Atomic<Bool>(false)
    @usableFromInline let tracking: LockTracking

    /// Creates a spin lock; the parameters are those of `CheckedMutex.init`.
    public init(
        _ name: String? = nil, class lockClass: LockClass = .creationSite, options: [LockOption] = [],
        orderKey: UInt64? = nil, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        tracking = LockTracking(
            name: name, lockClass: lockClass, kind: .spinLock, options: options, orderKey: orderKey,
            fileID: fileID,
            line: line)
    }

    deinit {
        _ = tracking.destroy(isHeld: { isLocked.load(ordering: .relaxed) })
    }

    /// The lock's identity for the checker.
    public var identity: LockIdentity { tracking.identity }

    @inlinable
    func attempt() -> Bool {
        !isLocked.load(ordering: .relaxed)
            && isLocked.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    /// Spins until the calling thread holds the lock. Returns only with it held.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        guard let epoch = LockOrder.fastPathEpoch else {
            if !attempt() { _ = LockOperations.spin(attempt) }
            return
        }
        if tracking.acquireOnFastPath(
            in: epoch, mode: .exclusive, attempt: .blocking, site: SourceSite(fileID: fileID, line: line),
            { attempt() || spinNotingWait(fileID: fileID, line: line) }) == nil
        {
            lockOnSlowPath(fileID: fileID, line: line)
        }
    }

    @usableFromInline @inline(never)
    func lockOnSlowPath(fileID: StaticString, line: UInt) {
        _ = tracking.acquire(
            mode: .exclusive, attempt: .blocking, site: SourceSite(fileID: fileID, line: line)
        ) {
            attempt() || spinNotingWait(fileID: fileID, line: line)
        }
    }

    /// The wait of a checked blocking acquisition whose first attempt failed: the checker hears
    /// of it first (`blocking_in_task` inside a task), then the lock spins.
    @usableFromInline @inline(never)
    func spinNotingWait(fileID: StaticString, line: UInt) -> Bool {
        let site = SourceSite(fileID: fileID, line: line)
        tracking.willWait(mode: .exclusive, site: site)
        return LockOperations.spin(as: tracking.identity, site: site, attempt)
    }

    /// Takes the lock if it is free. Returns true only when the calling thread now holds it.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func tryLock(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        guard let epoch = LockOrder.fastPathEpoch else { return attempt() }
        return tracking.acquireOnFastPath(
            in: epoch, mode: .exclusive, attempt: .tryLock, site: SourceSite(fileID: fileID, line: line),
            { attempt() }) ?? tryLockOnSlowPath(fileID: fileID, line: line)
    }

    @usableFromInline @inline(never)
    func tryLockOnSlowPath(fileID: StaticString, line: UInt) -> Bool {
        tracking.acquire(mode: .exclusive, attempt: .tryLock, site: SourceSite(fileID: fileID, line: line)) {
            attempt()
        }
    }

    /// Spins at most `timeout`. Returns true only when the calling thread now holds the lock;
    /// false leaves nothing held.
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func tryLock(for timeout: Duration, fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        let deadline = LockOperations.monotonicNanoseconds() + UInt64(LockOperations.nanoseconds(timeout))
        if LockOrder.isChecking {
            let site = SourceSite(fileID: fileID, line: line)
            return tracking.acquire(mode: .exclusive, attempt: .timed, site: site) {
                attempt() || LockOperations.spin(until: deadline, as: tracking.identity, site: site, attempt)
            }
        }
        return attempt() || LockOperations.spin(until: deadline, attempt)
    }

    /// Releases the lock. With checking on, a release by a thread that does not hold it is
    /// reported and not performed.
    @inlinable @inline(__always)
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    public func unlock(fileID: StaticString = #fileID, line: UInt = #line) {
        guard let epoch = LockOrder.fastPathEpoch else {
            isLocked.store(false, ordering: .releasing)
            return
        }
        if tracking.releasesOnFastPath(in: epoch, mode: .exclusive) {
            isLocked.store(false, ordering: .releasing)
        } else {
            unlockOnSlowPath(fileID: fileID, line: line)
        }
    }

    @usableFromInline @inline(never)
    func unlockOnSlowPath(fileID: StaticString, line: UInt) {
        tracking.release(
            mode: .exclusive, site: SourceSite(fileID: fileID, line: line),
            rawHolder: { isLocked.load(ordering: .relaxed) ? .anotherThread : .nobody },
            releasing: { isLocked.store(false, ordering: .releasing) })
    }
}
