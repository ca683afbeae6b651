import CLockOrderSupport

/// Ownership assertions (lockdep's `lockdep_assert_held`, abseil's `Mutex::AssertHeld`): a
/// function that must run with a lock held, or must not, says so, and the checker answers from
/// the calling thread's held stack. With checking off they cost the one branch every call costs
/// and assert nothing.
extension LockOrder {
    /// Reports `ownership_assertion` unless the calling thread holds `lock` (in `mode`, or in
    /// either mode when `mode` is nil). Nothing with checking off.
    @inlinable @inline(__always)
    public static func assertHeld(_ lock: LockIdentity, mode: AccessMode? = nil, site: SourceSite) {
        if _fastPath(lockorder_epoch_is_off(lockorder_epoch()) != 0) { return }
        checkOwnership(lock, mode: mode, expectHeld: true, site: site)
    }

    /// Reports `ownership_assertion` when the calling thread holds `lock` (in any mode). Nothing
    /// with checking off.
    @inlinable @inline(__always)
    public static func assertNotHeld(_ lock: LockIdentity, site: SourceSite) {
        if _fastPath(lockorder_epoch_is_off(lockorder_epoch()) != 0) { return }
        checkOwnership(lock, mode: nil, expectHeld: false, site: site)
    }

    /// Whether the calling thread holds `lock` (in `mode`, or in either mode when nil), as its
    /// held stack records it; nil when checking is off (the checker keeps no record then).
    /// A lock acquired while the held stack was full counts as held.
    public static func isHeldByCurrentThread(_ lock: LockIdentity, mode: AccessMode? = nil) -> Bool? {
        guard let state = checkedThreadState() else { return nil }
        return HeldStack.holds(lock, mode: mode, in: state)
    }

    @usableFromInline @inline(never)
    static func checkOwnership(_ lock: LockIdentity, mode: AccessMode?, expectHeld: Bool, site: SourceSite) {
        guard let state = checkedThreadState() else { return }
        if HeldStack.holds(lock, mode: mode, in: state) == expectHeld { return }
        CheckerState.shared.reportOwnership(
            lock, mode: mode, expectedHeld: expectHeld, site: site, state: state)
    }
}

extension HeldStack {
    /// Whether the thread's stack records `lock` (in `mode`, or in either mode when nil).
    static func holds(
        _ lock: LockIdentity, mode: AccessMode?, in state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> Bool {
        let held = lockorder_held_locks(state)!
        for index in 0..<Int(state.pointee.depth) where held[index].lock_id == lock.id {
            guard let mode else { return true }
            let shared = held[index].flags & UInt8(LOCKORDER_HELD_SHARED) != 0
            if shared == (mode == .shared) { return true }
        }
        let untracked = Int(min(state.pointee.untracked, UInt32(LOCKORDER_UNTRACKED_CAPACITY)))
        return withUnsafeBytes(of: &state.pointee.untracked_ids) { bytes in
            bytes.bindMemory(to: UInt64.self).prefix(untracked).contains(lock.id)
        }
    }
}

extension CheckerState {
    /// Reports a failed ownership assertion.
    func reportOwnership(
        _ identity: LockIdentity, mode: AccessMode?, expectedHeld: Bool, site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let finding = tables.withLock { tables in
                Finding(
                    reason: .ownership(expectedHeld: expectedHeld, mode: mode),
                    lock: tables.snapshot(identity, mode: mode ?? .exclusive, orderKey: nil, site: site),
                    held: tables.heldSnapshots(state), classIDs: [identity.classID], site: "\(site)")
            }
            report([ViolationCandidate(finding)])
        }
    }
}
