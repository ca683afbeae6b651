import CLockOrderSupport

/// The checker's entry points: lock types call these three times per acquisition (intent
/// before blocking, acquired, released), and once when they are created and destroyed.
///
/// Locks written by users, or wrapped from C, take part in checking by making the same calls
/// (see docs/architecture.md). With checking off every call is one predictable branch on a
/// plain load; with it on, an acquisition whose chain of held classes this thread has seen
/// before and found allowed takes no lock and allocates nothing. New chains, violations and
/// instance-ordered acquisitions take the slow path.
public enum LockOrder {
    /// Whether lock operations should be reported to the checker. True until the environment has
    /// been read, so the first operation configures the checker.
    @inlinable @inline(__always)
    public static var isChecking: Bool {
        lockorder_mode() != UInt8(LOCKORDER_MODE_OFF)
    }

    /// The fast-path calls' switch, read once per lock operation: `nil` when checking is off (take
    /// the raw lock alone), otherwise the checking epoch to pass to the fast-path calls. One plain
    /// load, like `isChecking`, and it saves the fast-path calls a second one.
    @inlinable @inline(__always)
    public static var fastPathEpoch: FastPathEpoch? {
        let epoch = lockorder_epoch()
        // Laid out for checking off: the raw path stays the straight line.
        if _fastPath(lockorder_epoch_is_off(epoch) != 0) { return nil }
        return FastPathEpoch(value: epoch)
    }

    // MARK: Lock lifetime

    /// Gives a new lock its identity: a unique id, its class and its name.
    ///
    /// - Parameters:
    ///   - name: shown in reports; nil shows the class name.
    ///   - lockClass: what the order rules key the lock by (default: the creation site).
    ///   - kind: the lock's kind.
    ///   - options: implicit-acquisition options, e.g. `.safepoint` (see `LockHierarchy`).
    ///   - site: where the lock is created (the class key for `.creationSite`).
    public static func register(
        name: String?, lockClass: LockClass = .creationSite, kind: LockKind, options: [LockOption] = [],
        site: SourceSite
    ) -> LockIdentity {
        CheckerState.shared.register(
            name: name, lockClass: lockClass, kind: kind, options: options, site: site)
    }

    /// Tells the checker a lock is being destroyed.
    ///
    /// Reports `destroyed_while_held` when the calling thread holds it or `heldElsewhere` says
    /// another thread does, and forgets the learned order of an instance-classed lock (so a new
    /// lock cannot inherit stale order) and its instance-order key.
    ///
    /// - Parameters:
    ///   - site: where the lock is destroyed, when the caller knows it; nil (a deinit, which
    ///     has no call site) names where the lock was created, and the report's backtrace
    ///     shows what destroyed it.
    /// - Returns: true when the calling thread held the lock (the lock type must then not
    ///   destroy the underlying pthread object, which would be undefined behaviour).
    @discardableResult
    public static func lockDestroyed(
        _ lock: LockIdentity, heldElsewhere: Bool = false, site: SourceSite? = nil
    ) -> Bool {
        defer { forgetOrderKey(of: lock) }  // after the report, which shows the key
        return CheckerState.shared.lockDestroyed(lock, heldElsewhere: heldElsewhere, site: site)
    }

    /// Gives `lock` an instance-order key (nil takes it away), for locks that do not pass one
    /// with each acquisition: the rules look it up when a class's instance-order exception
    /// applies, to the held locks too, so a key changed while its lock is held is the one the next
    /// check sees. `lockDestroyed` forgets it (a lock destroyed while checking is off calls
    /// `forgetOrderKey`).
    public static func setOrderKey(_ key: UInt64?, of lock: LockIdentity) {
        let checker = CheckerState.shared
        if CheckerMark.isInside { return }  // a signal handler inside the checker
        if key != nil { lockorder_note_order_keys_used() }
        checker.tables.withLock { $0.orderKeys[lock.id] = key }
    }

    /// The instance-order key given to `lock` with `setOrderKey`; nil when none.
    public static func orderKey(of lock: LockIdentity) -> UInt64? {
        guard lockorder_order_keys_used() != 0, !CheckerMark.isInside else { return nil }
        let checker = CheckerState.shared
        return checker.tables.withLock { $0.orderKeys[lock.id] }
    }

    /// Forgets the order key of a lock being destroyed, if any lock ever had one.
    public static func forgetOrderKey(of lock: LockIdentity) {
        guard lockorder_order_keys_used() != 0 else { return }
        setOrderKey(nil, of: lock)
    }

    // MARK: The three calls

    /// Intent: the calling thread is about to acquire `lock` and may block. Checks every rule
    /// before blocking, so a would-be deadlock is reported instead of hung on.
    ///
    /// A certain self-deadlock (locking a non-reentrant lock this thread holds) is reported and
    /// then stops the process in every mode: going on would hang.
    @inlinable @inline(__always)
    public static func willAcquire(
        _ lock: LockIdentity, mode: AccessMode = .exclusive, attempt: AcquireAttempt = .blocking,
        orderKey: UInt64? = nil, site: SourceSite
    ) {
        let verdict = lockorder_fast_will_acquire(
            lock.id, lock.classID, lock.optionBits, mode == .shared ? 1 : 0, attempt == .tryLock ? 1 : 0)
        if _slowPath(verdict != 0) {
            willAcquireSlowly(lock, mode: mode, attempt: attempt, orderKey: orderKey, site: site)
        }
    }

    /// An acquisition the fast path could not clear: the gate was closed, or the top entry's
    /// summary says maybe a re-entry, a level conflict, an implicit acquisition, or a new chain.
    /// Scans the held stack and applies every rule.
    @usableFromInline @inline(never)
    static func willAcquireSlowly(
        _ lock: LockIdentity, mode: AccessMode, attempt: AcquireAttempt, orderKey: UInt64?, site: SourceSite
    ) {
        guard let state = checkedThreadState() else {
            CheckerMark.notePassedThrough()
            return
        }
        _ = CurrentTask.sampled  // marks a thread that runs tasks, for its fast path
        TaskHoldRegistry.shared.forgetHoldsReleasedElsewhere(state)
        let held = lockorder_held_locks(state)!
        let depth = Int(state.pointee.depth)
        let level = lockorder_class_level(lock.classID)
        if depth == 0 {
            // Nothing held: only the lock's own option can break a rule (R12, a level 1 lock
            // taken with JL_LOCK).
            if attempt != .tryLock && lockorder_implicit_conflicts_with_own_level(lock.optionBits, level) {
                CheckerState.shared.checkAcquisitionSlowly(
                    lock, mode: mode, orderKey: orderKey, site: site, state: state)
            }
            return
        }
        var levelConflict = false
        for index in 0..<depth {
            let entry = held + index
            if entry.pointee.lock_id == lock.id {
                if heldBySuspendedTask(
                    lock, mode: mode, attempt: attempt, heldIndex: index, site: site, state: state)
                {
                    return
                }
                if !isPermittedReentry(lock, mode: mode, attempt: attempt, heldEntry: entry) {
                    CheckerState.shared.reportSelfDeadlock(
                        lock, mode: mode, orderKey: orderKey, site: site, state: state)
                }
                return
            }
            if lockorder_level_conflicts(entry.pointee.level, level) { levelConflict = true }
        }
        if attempt == .tryLock { return }
        if levelConflict || lock.optionBits != 0 {
            CheckerState.shared.checkAcquisitionSlowly(
                lock, mode: mode, orderKey: orderKey, site: site, state: state)
            return
        }
        if lockorder_learning() != 0 {
            let chain = ChainKey.mix(
                held[depth - 1].chain, classID: lock.classID, lockID: lock.id, shared: mode == .shared)
            if !ChainKey.isKnown(chain, in: state) {
                CheckerState.shared.learnOrder(
                    lock, mode: mode, orderKey: orderKey, site: site, state: state, chain: chain)
            }
        }
    }

    /// Acquired: the calling thread now holds `lock` (after a blocking acquisition, or a
    /// trylock or timed attempt that succeeded).
    @inlinable @inline(__always)
    public static func didAcquire(
        _ lock: LockIdentity, mode: AccessMode = .exclusive, attempt: AcquireAttempt = .blocking,
        orderKey: UInt64? = nil, site: SourceSite
    ) {
        let flags = heldFlags(mode: mode, attempt: attempt, orderKey: orderKey)
        let verdict = push(
            lock, flags: flags, orderKey: orderKey, site: site, mayBeHeld: lock.kind.mayBeHeldTwice)
        if _slowPath(verdict != 0) {
            didAcquireSlowly(lock, flags: flags, orderKey: orderKey, site: site)
        } else {
            let state = lockorder_current_thread_state()!
            lockorder_fast_note_task(state.pointee.depth &- 1)
            if _slowPath(lockorder_timing() != 0) { HoldTiming.acquired() }
        }
    }

    /// An acquisition the fast path could not record: the gate was closed, the lock may already
    /// be held (count another hold), or the stack is full.
    @usableFromInline @inline(never)
    static func didAcquireSlowly(_ lock: LockIdentity, flags: UInt8, orderKey: UInt64?, site: SourceSite) {
        guard let state = checkedThreadState() else { return }
        TaskHoldRegistry.shared.forgetHoldsReleasedElsewhere(state)
        if lock.kind.mayBeHeldTwice && HeldStack.countAnotherHold(of: lock, in: state) { return }
        let verdict = push(lock, flags: flags, orderKey: orderKey, site: site, mayBeHeld: false)
        if verdict == Int32(LOCKORDER_SLOW_FULL) { heldStackIsFull(state, lockID: lock.id) }
        if verdict == 0 && lockorder_timing() != 0 { HoldTiming.acquired() }
        if verdict == 0 { noteTaskOfTopEntry() }
    }

    /// Pushes a held entry through the C fast path; `mayBeHeld` asks it to stop first when the
    /// lock may already be held (another hold is then counted by the slow path).
    @inlinable @inline(__always)
    static func push(
        _ lock: LockIdentity, flags: UInt8, orderKey: UInt64?, site: SourceSite, mayBeHeld: Bool
    ) -> Int32 {
        lockorder_fast_did_acquire(
            lock.id, lock.classID, lock.nameID, lock.kind.rawValue, flags, orderKey ?? 0,
            site.fileID.utf8Start,
            UInt32(truncatingIfNeeded: site.fileID.utf8CodeUnitCount), UInt32(truncatingIfNeeded: site.line),
            mayBeHeld ? 1 : 0)
    }

    /// Records the current task (0 outside one) with the entry a slow path just pushed on top of
    /// the stack, asking the runtime (and marking the thread when it runs a task).
    static func noteTaskOfTopEntry() {
        let state = lockorder_current_thread_state()!
        lockorder_note_task_sampled(state.pointee.depth &- 1)
    }

    /// The held-entry flags of an acquisition.
    @inlinable @inline(__always)
    static func heldFlags(mode: AccessMode, attempt: AcquireAttempt, orderKey: UInt64?) -> UInt8 {
        // Matched rather than compared with `==`: the optimizer folds a match on a constant mode at
        // once, while the derived `==` left a comparison in memory on the inlined path.
        var flags: UInt8 = 0
        if case .shared = mode { flags |= UInt8(LOCKORDER_HELD_SHARED) }
        if case .tryLock = attempt { flags |= UInt8(LOCKORDER_HELD_TRYLOCK) }
        if orderKey != nil { flags |= UInt8(LOCKORDER_HELD_HAS_ORDER_KEY) }
        return flags
    }

    // MARK: The fast-path calls, for lock types that inline them

    /// Intent and record in one, in the epoch `fastPathEpoch` gave, without the slow path: when
    /// acquiring `lock` needs nothing more checked (no rule can be broken and this thread has
    /// checked the chain of held classes before), writes its held entry, not yet counted, and
    /// answers what it prepared. The caller takes the raw lock and, holding it, passes that to
    /// `didAcquireOnFastPath` (and calls `didAcquire` if that answers false); if a trylock fails,
    /// nothing more. Nil: nothing was done; make the full calls (`willAcquire`, `didAcquire`).
    ///
    /// LockCore's types inline the fast-path calls into the caller and keep the full ones out of
    /// line, so that a steady-state checked acquisition is a few instructions at the call site,
    /// all but a compare and one store of them before the raw lock's atomic instruction.
    @inlinable @inline(__always)
    public static func willAcquireOnFastPath(
        _ lock: LockIdentity, in epoch: FastPathEpoch, mode: AccessMode = .exclusive,
        attempt: AcquireAttempt = .blocking, orderKey: UInt64? = nil, site: SourceSite
    ) -> FastPathAcquisition? {
        // Timed holds (LOCKORDER_HOLD_WARN, LOCKORDER_STATS) are taken by the full calls: the
        // gate is then marked (lockorder_open_gate), so it never equals the bare epoch here.
        let depth = lockorder_fast_prepare(
            epoch.value, lock.id, lock.classID, lock.nameID, lock.kind.rawValue, lock.optionBits,
            heldFlags(mode: mode, attempt: attempt, orderKey: orderKey), orderKey ?? 0, site.fileID.utf8Start,
            UInt32(truncatingIfNeeded: site.fileID.utf8CodeUnitCount), UInt32(truncatingIfNeeded: site.line))
        if _slowPath(depth < 0) { return nil }
        lockorder_fast_note_task(UInt32(truncatingIfNeeded: depth))
        return FastPathAcquisition(epoch: epoch.value, depth: UInt32(truncatingIfNeeded: depth))
    }

    /// Acquired, after `willAcquireOnFastPath` prepared `acquisition` on this thread: counts the
    /// entry it wrote. False, having counted nothing, when that entry is no longer the next one:
    /// checking restarted or stopped while the thread waited for the raw lock, or the raw lock
    /// was itself a checked lock. Then call `didAcquire`, which records the hold as things are
    /// now.
    @inlinable @inline(__always)
    public static func didAcquireOnFastPath(_ acquisition: FastPathAcquisition) -> Bool {
        lockorder_fast_commit(acquisition.epoch, acquisition.depth) == 0
    }

    /// The fast path of `willRelease` alone, in the epoch `fastPathEpoch` gave: true when `lock` was this thread's most recent
    /// hold, in `mode`, and is now forgotten: release the raw lock. False: nothing was done;
    /// call `willRelease`.
    @inlinable @inline(__always)
    public static func willReleaseOnFastPath(
        _ lock: LockIdentity, in epoch: FastPathEpoch, mode: AccessMode = .exclusive
    ) -> Bool {
        let shared: Int32
        if case .shared = mode { shared = 1 } else { shared = 0 }  // matched: see `heldFlags`
        return lockorder_fast_will_release_in(epoch.value, lock.id, shared, lock.optionBits) == 0
    }

    /// Counts an acquisition the full held stack could not record, keeping its id while there
    /// is room, so that its release is still told from a release of a lock not held.
    static func heldStackIsFull(_ state: UnsafeMutablePointer<lockorder_thread_state>, lockID: UInt64) {
        let recorded = Int(min(state.pointee.untracked, UInt32(LOCKORDER_UNTRACKED_CAPACITY)))
        if recorded < Int(LOCKORDER_UNTRACKED_CAPACITY) {
            withUnsafeMutableBytes(of: &state.pointee.untracked_ids) { bytes in
                bytes.storeBytes(of: lockID, toByteOffset: recorded * 8, as: UInt64.self)
            }
        }
        state.pointee.untracked += 1
        CheckerState.shared.noteHeldStackFull()
    }

    /// Forgets an untracked acquisition of `lockID`; false when none was recorded (the lock is
    /// not held by this thread, or was held past the recorded ids: the raw lock then decides).
    static func releaseUntracked(_ state: UnsafeMutablePointer<lockorder_thread_state>, lockID: UInt64)
        -> Bool
    {
        let count = Int(state.pointee.untracked)
        guard count > 0 else { return false }
        let recorded = min(count, Int(LOCKORDER_UNTRACKED_CAPACITY))
        let found = withUnsafeMutableBytes(of: &state.pointee.untracked_ids) { bytes -> Bool in
            let ids = bytes.bindMemory(to: UInt64.self)
            guard let index = (0..<recorded).last(where: { ids[$0] == lockID }) else { return false }
            ids[index] = ids[recorded - 1]
            // With more holds than ids, the last slot is not refilled: 0 (no lock has id 0)
            // instead of a second copy of the id just moved.
            if count > recorded { ids[recorded - 1] = 0 }
            return true
        }
        // Past the recorded ids the checker cannot tell an unrecorded hold from a lock this
        // thread does not hold: `.notHeld` makes the lock ask the raw lock who holds it, and
        // `didReleaseUnrecorded` counts the hold off when it was this thread's.
        guard found else { return false }
        state.pointee.untracked -= 1
        return true
    }

    /// After `willRelease` answered `.notHeld` and the raw lock says the calling thread holds
    /// it (it was taken while checking was off, or past the held stack's capacity, where only
    /// the first locks are remembered by id): forgets one such unrecorded hold. Then release
    /// the raw lock, without a report.
    @inline(never)
    public static func didReleaseUnrecorded(_ lock: LockIdentity) {
        guard let state = checkedThreadState() else { return }
        if state.pointee.untracked > UInt32(LOCKORDER_UNTRACKED_CAPACITY) { state.pointee.untracked -= 1 }
    }

    /// The outcome of `willRelease`.
    public enum ReleaseVerdict: Sendable {
        /// The thread holds the lock: release the underlying lock.
        case release
        /// One of several holds by this thread ended: a lock that counts re-entries itself keeps
        /// the underlying lock held; a lock whose every hold is a raw acquisition (recursive
        /// reads of a reader-writer lock) releases that one hold.
        case stillHeld
        /// The thread does not hold the lock: do not touch the underlying lock, and call
        /// `reportUnlockNotHeld`.
        case notHeld
    }

    /// Released: the calling thread is about to release `lock`. Removes it from the thread's
    /// held locks, or says it was not held (the caller then reports instead of unlocking).
    @inlinable @inline(__always)
    public static func willRelease(
        _ lock: LockIdentity, mode: AccessMode = .exclusive, site: SourceSite
    ) -> ReleaseVerdict {
        let verdict = lockorder_fast_will_release(lock.id, mode == .shared ? 1 : 0, lock.optionBits)
        if _fastPath(verdict == 0) {
            if _slowPath(lockorder_timing() != 0) { HoldTiming.releasedTop(site: site) }
            return .release
        }
        return willReleaseSlowly(lock, mode: mode, site: site)
    }

    @usableFromInline @inline(never)
    static func willReleaseSlowly(_ lock: LockIdentity, mode: AccessMode, site: SourceSite) -> ReleaseVerdict
    {
        guard let state = checkedThreadState() else { return .release }
        _ = CurrentTask.sampled  // marks a thread that runs tasks, for its fast path
        TaskHoldRegistry.shared.forgetHoldsReleasedElsewhere(state)
        let held = lockorder_held_locks(state)!
        let depth = Int(state.pointee.depth)
        let modeBit: UInt8 = mode == .shared ? UInt8(LOCKORDER_HELD_SHARED) : 0
        for index in stride(from: depth - 1, through: 0, by: -1)
        where held[index].lock_id == lock.id && held[index].flags & UInt8(LOCKORDER_HELD_SHARED) == modeBit {
            if held[index].recursion > 0 {
                held[index].recursion -= 1
                return .stillHeld
            }
            let timed: (lockorder_held_lock, UInt64)? =
                lockorder_timing() != 0 ? (held[index], lockorder_held_since(state)[index]) : nil
            HeldStack.remove(at: index, from: state)
            if let timed { HoldTiming.released(timed.0, since: timed.1, site: site, state: state) }
            if lock.optionBits != 0 {
                CheckerState.shared.checkImplicitAcquisitions(of: lock, site: site, state: state)
            }
            return .release
        }
        // Acquired while the held stack was full?
        return releaseUntracked(state, lockID: lock.id) ? .release : .notHeld
    }

    /// Reports `unlock_not_held`, or `unlock_not_owner` when `heldByAnotherThread`, after
    /// `willRelease` answered `.notHeld`.
    @inline(never)
    public static func reportUnlockNotHeld(
        _ lock: LockIdentity, mode: AccessMode = .exclusive, heldByAnotherThread: Bool, site: SourceSite
    ) {
        guard let state = checkedThreadState() else { return }
        CheckerState.shared.reportUnlockNotHeld(
            lock, mode: mode, heldByAnotherThread: heldByAnotherThread, site: site, state: state)
    }

    // MARK: Operations

    /// Tells the checker the calling thread is about to do `operation` (I/O, a safepoint, an
    /// allocation, a task switch). Reports `forbidden_operation` when the hierarchy forbids it
    /// while a lock the thread holds is held.
    @inline(never)
    public static func willPerform(
        _ operation: ThreadOperation, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        guard let state = checkedThreadState(), state.pointee.depth > 0 else { return }
        CheckerState.shared.checkOperation(
            operation, site: SourceSite(fileID: fileID, line: line), state: state)
    }

    // MARK: Fast-path helpers

    /// The calling thread's state when checking is on and the checker is not already running on
    /// this thread; nil otherwise. One compare in the steady state.
    @inlinable @inline(__always)
    static func checkedThreadState() -> UnsafeMutablePointer<lockorder_thread_state>? {
        let state = lockorder_current_thread_state()!
        if _fastPath(state.pointee.gate == lockorder_open_gate(lockorder_epoch())) { return state }
        return openGate(state)
    }

    /// The gate is closed: the environment is unread, checking is off, the epoch changed, or the
    /// checker is running on this thread. Decides which, and opens it when checking applies.
    @usableFromInline @inline(never)
    static func openGate(_ state: UnsafeMutablePointer<lockorder_thread_state>)
        -> UnsafeMutablePointer<lockorder_thread_state>?
    {
        // Inside the checker (a signal handler interrupted it): never configure or check here.
        if state.pointee.in_checker != 0 { return nil }
        if lockorder_mode() == UInt8(LOCKORDER_MODE_UNCONFIGURED) {
            CheckerState.shared.configureFromEnvironment()
        }
        let mode = lockorder_mode()
        if mode == UInt8(LOCKORDER_MODE_OFF) || mode == UInt8(LOCKORDER_MODE_UNCONFIGURED) { return nil }
        // The epoch is read once: checking may stop meanwhile, and no gate may ever hold the
        // off epoch (every gate compare must fail while checking is off).
        let epoch = lockorder_epoch()
        if lockorder_epoch_is_off(epoch) != 0 { return nil }
        if state.pointee.epoch != epoch { CheckerState.shared.startThread(state, epoch: epoch) }
        // A thread's first checked operation of the epoch: if it runs in a task, the thread's
        // fast path records tasks from now on (lockorder_fast_note_task).
        _ = lockorder_sample_current_task()
        // Marked while holds are timed: the inlined fast-path calls step aside.
        state.pointee.gate = lockorder_open_gate(epoch)
        return state
    }

    /// Whether acquiring `lock` again while `heldEntry` records it is allowed re-entry.
    @inlinable
    static func isPermittedReentry(
        _ lock: LockIdentity, mode: AccessMode, attempt: AcquireAttempt,
        heldEntry: UnsafeMutablePointer<lockorder_held_lock>
    ) -> Bool {
        if lock.kind.isReentrant || attempt == .tryLock { return true }
        // A read lock may be re-taken on a reader-preferring lock: readers never wait for a
        // queued writer there.
        return lock.kind == .readerPreferringRWLock && mode == .shared
            && heldEntry.pointee.flags & UInt8(LOCKORDER_HELD_SHARED) != 0
    }
}

/// The chain caches: each thread's cache of chains of held lock classes already found allowed
/// (lockdep's chain cache), and the process-wide set of them (lockdep's chain hash), which a
/// thread asks on a miss of its own. The key is `lockorder_chain_mix_lock` folded over the held
/// locks (their classes and modes, and their ids for a class that nests itself, R32) and the one
/// being acquired (an acquisition whose implicit acquisition conflicts never asks: it is always
/// reported). The lookup and the insertion are C's (LockOrderFastPath.h, LockOrderChainSet.h),
/// so that the fast path and the slow path cannot disagree on what a hit is.
enum ChainKey {
    /// What a verdict was decided under, besides the thread's checking epoch: read under the
    /// checker's lock, where the rules ran, so that a verdict made before the graph lost edges or
    /// the configuration changed is never remembered as a current one.
    struct Stamp {
        let graphEpoch: UInt64
        let learning: UInt8

        static var current: Stamp {
            Stamp(graphEpoch: lockorder_graph_epoch(), learning: lockorder_learning())
        }
    }

    /// Extends a chain key by one held (or acquired) lock, as the fast path does: its class, and
    /// the lock's id too for a class whose locks nest with each other (R32).
    static func mix(_ chain: UInt64, classID: UInt32, lockID: UInt64, shared: Bool) -> UInt64 {
        lockorder_chain_mix_lock(chain, classID, lockID, lockorder_class_entry(classID), shared ? 1 : 0)
    }

    /// Whether the chain was found allowed before, by this thread or by any thread.
    static func isKnown(_ chain: UInt64, in state: UnsafeMutablePointer<lockorder_thread_state>) -> Bool {
        lockorder_chain_is_known(state, chain, state.pointee.epoch, lockorder_learning())
    }

    /// Remembers a chain as allowed, in the thread's cache and in the process-wide set.
    static func remember(
        _ chain: UInt64, in state: UnsafeMutablePointer<lockorder_thread_state>, decidedUnder stamp: Stamp
    ) {
        lockorder_chain_remember(state, chain, stamp.graphEpoch, stamp.learning)
    }
}
