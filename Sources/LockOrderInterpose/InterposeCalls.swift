import CLockOrderInterpose
import CLockOrderSupport
import LockOrderChecker

// The Swift half of the pthread interposer (docs/interpose.md): the C wrappers call these with
// the thread's bypass raised, so nothing the checker does here is itself interposed.

/// The site shown for an operation: the operation's name as the "file", the return address into
/// the caller as the "line" (SourceSite prints such sites as `<operation> 0xADDRESS`); the
/// report's backtrace names the caller.
private func site(_ operation: UInt8, _ address: UInt) -> SourceSite {
    switch Int32(operation) {
    case Int32(LOCKORDER_OP_INIT): SourceSite(fileID: "<pthread init>", line: address)
    case Int32(LOCKORDER_OP_FIRST_USE): SourceSite(fileID: "<pthread first lock>", line: address)
    case Int32(LOCKORDER_OP_UNLOCK): SourceSite(fileID: "<pthread unlock>", line: address)
    case Int32(LOCKORDER_OP_COND_WAIT): SourceSite(fileID: "<pthread_cond_wait>", line: address)
    case Int32(LOCKORDER_OP_DESTROY): SourceSite(fileID: "<pthread destroy>", line: address)
    default: SourceSite(fileID: "<pthread lock>", line: address)
    }
}

private func identity(_ parts: UnsafePointer<lockorder_foreign_identity>) -> LockIdentity {
    let value = parts.pointee
    return LockIdentity(
        parts: value.id, classID: UInt32(value.class_index), nameID: value.name_id,
        kind: LockKind(rawValue: value.kind) ?? .mutex, optionBits: value.option_bits)
}

private func attempt(_ code: UInt8) -> AcquireAttempt {
    switch code {
    case 1: .tryLock
    case 2: .timed
    default: .blocking
    }
}

private func mode(_ shared: UInt8) -> AccessMode { shared != 0 ? .shared : .exclusive }

/// What a pthread object is called in reports: its kind and where its class was made, named
/// through the dynamic symbol table (`function+0xOFFSET (module)`), or the bare address.
private func lockName(flavor: UInt8, operation: UInt8, frames: UnsafeBufferPointer<UInt>) -> String {
    let kind =
        switch Int32(flavor) {
        case Int32(LOCKORDER_FOREIGN_RECURSIVE_MUTEX): "pthread recursive mutex"
        case Int32(LOCKORDER_FOREIGN_ERRORCHECK_MUTEX): "pthread error-checking mutex"
        case Int32(LOCKORDER_FOREIGN_SPIN): "pthread spin lock"
        case Int32(LOCKORDER_FOREIGN_RWLOCK), Int32(LOCKORDER_FOREIGN_WRITER_RWLOCK): "pthread rwlock"
        default: "pthread mutex"
        }
    let how = Int32(operation) == LOCKORDER_OP_INIT ? "initialised" : "first locked"
    return "\(kind) \(how) at " + ForeignSiteName.describe(frames.prefix(2))
}

@_cdecl("lockorder_interpose_register")
func interposeRegister(
    flavor: UInt8, operation: UInt8, frames: UnsafePointer<UInt>, count: UInt8,
    out: UnsafeMutablePointer<lockorder_foreign_identity>
) {
    let stack = UnsafeBufferPointer(start: frames, count: Int(count))
    // One key for the frames (the "line" of the class site; SourceSite keys classes by it).
    var key: UInt = 0xcbf2_9ce4_8422_2325
    for frame in stack { key = (key ^ frame) &* 0x100_0000_01b3 }
    let kind: LockKind =
        switch Int32(flavor) {
        case Int32(LOCKORDER_FOREIGN_RECURSIVE_MUTEX): .reentrantMutex
        case Int32(LOCKORDER_FOREIGN_SPIN): .spinLock
        case Int32(LOCKORDER_FOREIGN_RWLOCK): .readerPreferringRWLock
        case Int32(LOCKORDER_FOREIGN_WRITER_RWLOCK): .writerPreferringRWLock
        default: .mutex
        }
    // The class is the call site (init, or the first lock of a statically initialised lock):
    // the site's "file" marks which, its "line" is the return address.
    let name = ForeignSiteName.cached(key: key ^ UInt(flavor)) {
        lockName(flavor: flavor, operation: operation, frames: stack)
    }
    let registered = LockOrder.register(
        name: name, lockClass: .creationSite,
        kind: kind, site: site(operation, key))
    out.pointee = lockorder_foreign_identity(
        id: registered.id, name_id: registered.nameID,
        class_index: UInt16(truncatingIfNeeded: registered.classID),
        kind: registered.kind.rawValue, option_bits: registered.optionBits)
}

@_cdecl("lockorder_interpose_will_acquire")
func interposeWillAcquire(
    _ parts: UnsafePointer<lockorder_foreign_identity>, shared: UInt8, attempt code: UInt8, site address: UInt
) {
    LockOrder.willAcquire(
        identity(parts), mode: mode(shared), attempt: attempt(code),
        site: site(UInt8(LOCKORDER_OP_LOCK), address))
}

@_cdecl("lockorder_interpose_did_acquire")
func interposeDidAcquire(
    _ parts: UnsafePointer<lockorder_foreign_identity>, shared: UInt8, attempt code: UInt8, site address: UInt
) {
    LockOrder.didAcquire(
        identity(parts), mode: mode(shared), attempt: attempt(code),
        site: site(UInt8(LOCKORDER_OP_LOCK), address))
}

@_cdecl("lockorder_interpose_will_release")
func interposeWillRelease(
    _ parts: UnsafePointer<lockorder_foreign_identity>, shared: UInt8, site address: UInt
) -> Int32 {
    switch LockOrder.willRelease(
        identity(parts), mode: mode(shared), site: site(UInt8(LOCKORDER_OP_UNLOCK), address))
    {
    case .release: Int32(LOCKORDER_RELEASE)
    case .stillHeld: Int32(LOCKORDER_STILL_HELD)
    case .notHeld: Int32(LOCKORDER_NOT_HELD)
    }
}

@_cdecl("lockorder_interpose_report_unlock_not_held")
func interposeReportUnlockNotHeld(
    _ parts: UnsafePointer<lockorder_foreign_identity>, shared: UInt8, heldByAnother: UInt8,
    site address: UInt
) {
    LockOrder.reportUnlockNotHeld(
        identity(parts), mode: mode(shared), heldByAnotherThread: heldByAnother != 0,
        site: site(UInt8(LOCKORDER_OP_UNLOCK), address))
}

@_cdecl("lockorder_interpose_holds")
func interposeHolds(_ parts: UnsafePointer<lockorder_foreign_identity>, shared: UInt8) -> Int32 {
    let lockMode: AccessMode? = shared == 2 ? nil : mode(shared)
    guard let held = LockOrder.isHeldByCurrentThread(identity(parts), mode: lockMode) else {
        return -1
    }
    return held ? 1 : 0
}

@_cdecl("lockorder_interpose_destroyed")
func interposeDestroyed(
    _ parts: UnsafePointer<lockorder_foreign_identity>, heldElsewhere: UInt8, site address: UInt
) {
    LockOrder.lockDestroyed(
        identity(parts), heldElsewhere: heldElsewhere != 0, site: site(UInt8(LOCKORDER_OP_DESTROY), address))
}
