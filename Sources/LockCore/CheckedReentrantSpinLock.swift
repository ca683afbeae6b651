import LockOrderChecker
import Synchronization

/// A reentrant spin lock, the kind of Julia's `jl_mutex_t`: the owning thread may take it
/// again; it is released when its count returns to zero.
///
/// It must not be held across blocking calls or task switches (Julia: "jl_mutex_t must not be
/// held across task switches"; declare that as a forbidden operation in the hierarchy and call
/// `LockOrderChecker.willPerform(.taskSwitch)`).
///
/// Guarantees: those of `CheckedReentrantMutex` (docs/locks.md).
public final class CheckedReentrantSpinLock: @unchecked Sendable {
    /// The owning thread's serial, 0 when free: the lock word itself.
    @usableFromInline let owner = Atomic<UInt64>(0)
    /// How many times the owner holds it; touched only by the owner.
    @usableFromInline var count = 0
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

    /// Creates a reentrant spin lock of a class declared in the hierarchy, named after it.
    public convenience init(
        declared name: String, options: [LockOption] = [], orderKey: UInt64? = nil,
        fileID: StaticString = #fileID, line: UInt = #line
    ) {
        self.init(name, class: .declared(name), options: options, orderKey: orderKey, fileID: fileID, line: line)
    }

    deinit {
        _ = tracking.destroy()
    }

    /// The lock's identity for the checker.
    public var identity: LockIdentity { tracking.identity }

    /// How many times the calling thread holds the lock (0 when it does not).
    public var holdCount: Int {
        owner.load(ordering: .relaxed) == ThreadIdentity.current ? count : 0
    }

    @inlinable
    func attempt(_ me: UInt64) -> Bool {
        owner.load(ordering: .relaxed) == 0
            && owner.compareExchange(expected: 0, desired: me, ordering: .acquiring).exchanged
    }

    /// Spins until the calling thread holds the lock, or increments its count when it already
    /// does. Returns only with the lock held.
    @inlinable
    public func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        _ = acquire(attempt: .blocking, fileID: fileID, line: line) { me in
            attempt(me) || LockOperations.spin { attempt(me) }
        }
    }

    /// Takes the lock if it is free or already the caller's. Returns true only when the calling
    /// thread now holds it.
    @inlinable
    public func tryLock(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        acquire(attempt: .tryLock, fileID: fileID, line: line) { me in attempt(me) }
    }

    /// Spins at most `timeout`. Returns true only when the calling thread now holds the lock.
    public func tryLock(for timeout: Duration, fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        let deadline = LockOperations.monotonicNanoseconds() + UInt64(LockOperations.nanoseconds(timeout))
        return acquire(attempt: .timed, fileID: fileID, line: line) { me in
            attempt(me) || LockOperations.spin(until: deadline) { attempt(me) }
        }
    }

    @inlinable
    func acquire(attempt: AcquireAttempt, fileID: StaticString, line: UInt, _ take: (UInt64) -> Bool) -> Bool {
        let me = ThreadIdentity.current
        let isReentry = owner.load(ordering: .relaxed) == me
        let taken: Bool
        if LockOrderChecker.isChecking {
            taken = tracking.acquire(mode: .exclusive, attempt: attempt, site: SourceSite(fileID: fileID, line: line)) {
                isReentry || take(me)
            }
        } else {
            taken = isReentry || take(me)
        }
        guard taken else { return false }
        count = isReentry ? count + 1 : 1
        return true
    }

    /// Decrements the count and releases the lock when it reaches zero. An unlock by a thread
    /// that does not hold it is reported (checking on) or ignored (off), never performed.
    @inlinable
    public func unlock(fileID: StaticString = #fileID, line: UInt = #line) {
        let holdsIt = owner.load(ordering: .relaxed) == ThreadIdentity.current
        if LockOrderChecker.isChecking {
            tracking.release(mode: .exclusive, site: SourceSite(fileID: fileID, line: line)) {}
        }
        guard holdsIt else { return }
        count -= 1
        if count == 0 { owner.store(0, ordering: .releasing) }
    }

    /// Runs `body` holding the lock (re-entering when the caller already holds it); releases
    /// once on every exit, including a throw from `body`.
    @inlinable
    public func withLock<Result, Failure: Error>(
        fileID: StaticString = #fileID, line: UInt = #line, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        lock(fileID: fileID, line: line)
        defer { unlock(fileID: fileID, line: line) }
        return try body()
    }
}
