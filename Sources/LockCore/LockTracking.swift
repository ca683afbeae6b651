import LockOrderChecker
import Synchronization

/// What every checked lock keeps for the checker, and the calls it makes around the raw lock
/// operation: intent before blocking, acquired, released (docs/architecture.md).
///
/// The raw operation is passed in as a closure, so each lock type supplies only what differs.
@usableFromInline
struct LockTracking: ~Copyable, Sendable {
    /// The lock's identity for the checker.
    @usableFromInline let identity: LockIdentity
    /// Who holds the lock while checking is on: the low 48 bits are the exclusive holder's
    /// thread serial, the high 16 bits count shared holders. Used only to tell
    /// `unlock_not_owner` from `unlock_not_held`, and to spot destruction while held.
    @usableFromInline let holders = Atomic<UInt64>(0)
    /// The instance-order key; `UInt64.max` stands for none.
    @usableFromInline let orderKeyBits: Atomic<UInt64>

    @usableFromInline static let sharedHolder: UInt64 = 1 << 48
    @usableFromInline static let exclusiveMask: UInt64 = sharedHolder - 1

    @usableFromInline
    init(
        name: String?, lockClass: LockClass, kind: LockKind, options: [LockOption], orderKey: UInt64?,
        fileID: StaticString, line: UInt
    ) {
        identity = LockOrderChecker.register(
            name: name, lockClass: lockClass, kind: kind, options: options, site: SourceSite(fileID: fileID, line: line))
        orderKeyBits = Atomic(orderKey ?? .max)
    }

    @usableFromInline
    var orderKey: UInt64? {
        let bits = orderKeyBits.load(ordering: .relaxed)
        return bits == .max ? nil : bits
    }

    @usableFromInline
    func setOrderKey(_ key: UInt64?) {
        orderKeyBits.store(key ?? .max, ordering: .relaxed)
    }

    /// A checked acquisition: intent, the raw `take` (which reports whether it got the lock),
    /// then acquired. Returns what `take` returned.
    @usableFromInline
    func acquire(mode: AccessMode, attempt: AcquireAttempt, site: SourceSite, _ take: () -> Bool) -> Bool {
        let orderKey = orderKey
        LockOrderChecker.willAcquire(identity, mode: mode, attempt: attempt, orderKey: orderKey, site: site)
        guard take() else { return false }
        if mode == .exclusive {
            holders.store(ThreadIdentity.current & Self.exclusiveMask, ordering: .relaxed)
        } else {
            holders.wrappingAdd(Self.sharedHolder, ordering: .relaxed)
        }
        LockOrderChecker.didAcquire(identity, mode: mode, attempt: attempt, orderKey: orderKey, site: site)
        return true
    }

    /// A checked release: the raw `give` runs only when the calling thread holds the lock and
    /// its last re-entry ends; otherwise the misuse is reported and nothing is released.
    @usableFromInline
    func release(mode: AccessMode, site: SourceSite, _ give: () -> Void) {
        switch LockOrderChecker.willRelease(identity, mode: mode, site: site) {
        case .release:
            if mode == .exclusive {
                holders.store(0, ordering: .relaxed)
            } else {
                holders.wrappingSubtract(Self.sharedHolder, ordering: .relaxed)
            }
            give()
        case .stillHeld:
            break
        case .notHeld:
            let current = holders.load(ordering: .relaxed)
            let exclusiveHolder = current & Self.exclusiveMask
            let me = ThreadIdentity.current & Self.exclusiveMask
            let heldByAnother = (exclusiveHolder != 0 && exclusiveHolder != me) || current >= Self.sharedHolder
            LockOrderChecker.reportUnlockNotHeld(identity, mode: mode, heldByAnotherThread: heldByAnother, site: site)
        }
    }

    /// Tells the checker the lock is being destroyed. Returns true when the lock is held, so
    /// the raw object must not be destroyed (undefined behaviour), only freed.
    @usableFromInline
    func destroy() -> Bool {
        let heldElsewhere = holders.load(ordering: .relaxed) != 0
        guard LockOrderChecker.isChecking || identity.hasInstanceClass else { return false }
        return LockOrderChecker.lockDestroyed(identity, heldElsewhere: heldElsewhere) || heldElsewhere
    }
}
