import LockOrderChecker
import Synchronization

/// What every checked lock keeps for the checker, and the calls it makes around the raw lock
/// operation: intent before blocking, acquired, released (docs/architecture.md).
///
/// The raw operations are passed in as closures, so each lock type supplies only what differs.
/// Nothing here writes to shared memory on the fast path: who holds a lock is asked of the raw
/// lock itself (a trylock) only when a misuse is being reported.
/// Who holds a raw lock, as far as the raw lock can tell.
@usableFromInline
enum RawHolder {
    /// The calling thread.
    case thisThread
    /// Some other thread (or some thread, when the raw lock cannot say which).
    case anotherThread
    /// Nobody.
    case nobody
}

@usableFromInline
struct LockTracking: ~Copyable, Sendable {
    /// The lock's identity for the checker. All a lock keeps for it: 16 bytes (an instance-order
    /// key, which few locks have, is kept by the checker).
    @usableFromInline let identity: LockIdentity

    @usableFromInline
    init(
        name: String?, lockClass: LockClass, kind: LockKind, options: [LockOption], orderKey: UInt64?,
        fileID: StaticString, line: UInt
    ) {
        identity = LockOrder.register(
            name: name, lockClass: lockClass, kind: kind, options: options,
            site: SourceSite(fileID: fileID, line: line))
        if let orderKey { LockOrder.setOrderKey(orderKey, of: identity) }
    }

    var orderKey: UInt64? { LockOrder.orderKey(of: identity) }

    func setOrderKey(_ key: UInt64?) {
        LockOrder.setOrderKey(key, of: identity)
    }

    /// A checked acquisition: intent, the raw `take` (which reports whether it got the lock),
    /// then acquired. Returns what `take` returned.
    @inlinable @inline(__always)
    func acquire(mode: AccessMode, attempt: AcquireAttempt, site: SourceSite, _ take: () -> Bool) -> Bool {
        Self.acquire(identity, mode: mode, attempt: attempt, site: site, take)
    }

    /// `acquire` for the lock of `identity`, for callers that keep no reference to the lock object
    /// across the operation (`CheckedMutex`: docs/performance.md, "The retain").
    @inlinable @inline(__always)
    static func acquire(
        _ identity: LockIdentity, mode: AccessMode, attempt: AcquireAttempt, site: SourceSite,
        _ take: () -> Bool
    ) -> Bool {
        // No order key is passed: the checker looks up the one given to the lock.
        LockOrder.willAcquire(identity, mode: mode, attempt: attempt, site: site)
        guard take() else { return false }
        LockOrder.didAcquire(identity, mode: mode, attempt: attempt, site: site)
        return true
    }

    /// The checked acquisition's fast path, inlined into the caller: the fast-path intent (which
    /// also writes the held entry), the raw `take`, the fast-path record. Returns nil, having done
    /// nothing, when the intent needs the checker's slow path (a new chain, a possible re-entry,
    /// a level conflict, checking not yet started on this thread); the caller then makes its
    /// out-of-line checked acquisition.
    @inlinable @inline(__always)
    func acquireOnFastPath(
        in epoch: FastPathEpoch, mode: AccessMode, attempt: AcquireAttempt, site: SourceSite,
        _ take: () -> Bool
    ) -> Bool? {
        Self.acquireOnFastPath(identity, in: epoch, mode: mode, attempt: attempt, site: site, take)
    }

    /// `acquireOnFastPath` for the lock of `identity` (see `acquire(_:mode:attempt:site:_:)`).
    @inlinable @inline(__always)
    static func acquireOnFastPath(
        _ identity: LockIdentity, in epoch: FastPathEpoch, mode: AccessMode, attempt: AcquireAttempt,
        site: SourceSite, _ take: () -> Bool
    ) -> Bool? {
        guard
            let acquisition = LockOrder.willAcquireOnFastPath(
                identity, in: epoch, mode: mode, attempt: attempt, site: site)
        else { return nil }
        guard take() else { return false }
        if _slowPath(!LockOrder.didAcquireOnFastPath(acquisition)) {
            recordAcquisition(identity, mode: mode, attempt: attempt, site: site)
        }
        return true
    }

    /// Records an acquisition the fast-path record could not count (checking restarted or stopped
    /// while the thread waited for the raw lock, or the raw lock was a checked one).
    @usableFromInline @inline(never) @_effects(releasenone)
    static func recordAcquisition(
        _ identity: LockIdentity, mode: AccessMode, attempt: AcquireAttempt, site: SourceSite
    ) {
        LockOrder.didAcquire(identity, mode: mode, attempt: attempt, site: site)
    }

    /// The checked release's fast path, inlined into the caller: true when the lock was the
    /// thread's most recent hold and is now forgotten (release the raw lock). False: nothing was
    /// done; the caller makes its out-of-line checked release.
    @inlinable @inline(__always)
    func releasesOnFastPath(in epoch: FastPathEpoch, mode: AccessMode) -> Bool {
        Self.releasesOnFastPath(identity, in: epoch, mode: mode)
    }

    /// `releasesOnFastPath` for the lock of `identity` (see `acquire(_:mode:attempt:site:_:)`).
    @inlinable @inline(__always)
    static func releasesOnFastPath(_ identity: LockIdentity, in epoch: FastPathEpoch, mode: AccessMode)
        -> Bool
    {
        LockOrder.willReleaseOnFastPath(identity, in: epoch, mode: mode)
    }

    /// A checked release: the raw `give` runs only when the checker agrees the calling thread
    /// holds the lock (in that mode), and, unless `eachHoldIsRaw`, when its last re-entry ends.
    ///
    /// When the checker has no record of the hold, the raw lock is asked who holds it
    /// (`rawHolder`): the calling thread (the lock was taken while checking was off, or before a
    /// test session began) releases it without a report; otherwise the misuse is reported
    /// (`unlock_not_owner` or `unlock_not_held`) and nothing is released.
    ///
    /// When another thread holds it and the calling task acquired it there (a hold across an
    /// `await`), the checker reports `held_across_suspension` and the raw lock is released here
    /// (unless `canReleaseElsewhere` is false: then it says so and leaves the lock held). Returns
    /// true in that case only.
    ///
    /// - Parameter eachHoldIsRaw: every hold was a raw acquisition (recursive reads of a
    ///   pthread reader-writer lock), so every release is a raw release too.
    @inlinable @inline(__always) @discardableResult
    func release(
        mode: AccessMode, site: SourceSite, eachHoldIsRaw: Bool = false, canReleaseElsewhere: Bool = true,
        rawHolder: () -> RawHolder, releasing give: () -> Void
    ) -> Bool {
        Self.release(
            identity, mode: mode, site: site, eachHoldIsRaw: eachHoldIsRaw,
            canReleaseElsewhere: canReleaseElsewhere,
            rawHolder: rawHolder, releasing: give)
    }

    /// `release` for the lock of `identity` (see `acquire(_:mode:attempt:site:_:)`).
    @inlinable @inline(__always) @discardableResult
    static func release(
        _ identity: LockIdentity, mode: AccessMode, site: SourceSite, eachHoldIsRaw: Bool = false,
        canReleaseElsewhere: Bool = true, rawHolder: () -> RawHolder, releasing give: () -> Void
    ) -> Bool {
        switch LockOrder.willRelease(identity, mode: mode, site: site) {
        case .release:
            give()
        case .stillHeld:
            if eachHoldIsRaw { give() }
        case .notHeld:
            // The checker has no record of this thread's hold: the raw lock says who holds it.
            switch rawHolder() {
            case .thisThread:
                LockOrder.didReleaseUnrecorded(identity)
                give()
            case .anotherThread:
                if LockOrder.releaseHeldAcrossSuspension(
                    identity, mode: mode, canRelease: canReleaseElsewhere, site: site)
                {
                    if canReleaseElsewhere { give() }
                    return true
                }
                LockOrder.reportUnlockNotHeld(
                    identity, mode: mode, heldByAnotherThread: true, site: site)
            case .nobody:
                LockOrder.reportUnlockNotHeld(
                    identity, mode: mode, heldByAnotherThread: false, site: site)
            }
        }
        return false
    }

    /// A blocking acquisition found the raw lock taken (its first attempt failed) and is about
    /// to wait: the checker reports it when the caller is a Swift task (`blocking_in_task`).
    @inlinable @inline(__always)
    func willWait(mode: AccessMode, site: SourceSite) {
        Self.willWait(identity, mode: mode, site: site)
    }

    /// `willWait` for the lock of `identity` (see `acquire(_:mode:attempt:site:_:)`).
    @usableFromInline @inline(never) @_effects(releasenone)
    static func willWait(_ identity: LockIdentity, mode: AccessMode, site: SourceSite) {
        LockOrder.willWaitForLock(identity, mode: mode, site: site)
    }

    /// The unlock of a reentrant type, which counts its holds itself, inlined into the caller.
    /// Checking off: `releaseOnce` when the calling thread owns the lock (an unlock by another
    /// thread is ignored). Checking on: a release the checker clears quickly (the lock is this
    /// thread's most recent hold, held once) needs no owner check, since the checker recorded
    /// this thread's hold; anything else goes to the type's out-of-line `releaseOnSlowPath`.
    ///
    /// Pass closures (`{ releaseOnce() }`), not method references: a method reference is a
    /// partial application, which the optimizer left as a call (measured: 1.9x instead of 1.4x).
    @inlinable @inline(__always)
    func unlockReentrant(
        owner: borrowing Atomic<UInt64>, releaseOnce: () -> Void, releaseOnSlowPath: () -> Void
    ) {
        guard let epoch = LockOrder.fastPathEpoch else {
            if owner.load(ordering: .relaxed) == ThreadIdentity.current { releaseOnce() }
            return
        }
        if releasesOnFastPath(in: epoch, mode: .exclusive) {
            releaseOnce()
        } else {
            releaseOnSlowPath()
        }
    }

    /// The checked release of a reentrant type, which counts its holds itself: keeps the
    /// checker's held stack in step and reports an unlock by a thread that does not hold the
    /// lock. Returns whether the caller must release one hold itself: the calling thread holds
    /// it, or the calling task took it on another thread before an `await` (reported as
    /// `held_across_suspension`; the hold is released here, from this thread).
    @usableFromInline
    func releaseReentrant(owner: borrowing Atomic<UInt64>, site: SourceSite) -> Bool {
        let holder = owner.load(ordering: .relaxed)
        let holdsIt = holder == ThreadIdentity.current
        let rawHolder: RawHolder = holdsIt ? .thisThread : holder != 0 ? .anotherThread : .nobody
        let releasedForTask = release(mode: .exclusive, site: site, rawHolder: { rawHolder }, releasing: {})
        return holdsIt || releasedForTask
    }

    /// Tells the checker the lock is being destroyed. Returns true when the lock is held, so
    /// the raw object must not be destroyed (undefined behaviour), only freed.
    @usableFromInline
    func destroy(isHeld: () -> Bool) -> Bool {
        guard LockOrder.isChecking || identity.hasInstanceClass else {
            LockOrder.forgetOrderKey(of: identity)
            return false
        }
        let heldElsewhere = isHeld()
        return LockOrder.lockDestroyed(identity, heldElsewhere: heldElsewhere) || heldElsewhere
    }
}
