import CLockOrderSupport

/// Everything the checker knows beyond the per-thread held stacks: classes and names, the
/// active hierarchy, the learned order, what was reported, and how checking was configured.
///
/// Only reachable through `CheckerState.shared.tables.withLock { tables in ... }`: the rules
/// are functions on this value (in Rules/), so none of them can run without the lock.
struct CheckerTables {
    var registry = ClassRegistry()
    var hierarchy: LockHierarchy = .julia
    var reporter = Reporter()
    var learned = ClassOrderGraph()
    /// The order among locks of one class nested with each other, by lock id (R32).
    var instances = InstanceOrderGraph()
    /// Instance-order keys given to locks that do not pass one with each acquisition (LockCore's),
    /// by lock id. Few locks have one, so no lock spends 8 bytes on it; the rules look it up.
    var orderKeys: [UInt64: UInt64] = [:]
    var configuration = Configuration()
    /// Declared names the active hierarchy did not have, each warned about once (R2).
    var warnedUnknownNames: Set<UnknownName> = []
    /// The most recent violations are also collected here while a test checks (`withChecking`).
    var isCollecting = false
    /// What checked tests kept for LOCKORDER_GRAPH_FILE (`LockOrder.keepForOutputFiles`), by
    /// class name: their sessions' order is not the process's, and is merged in at exit.
    var keptFromSessions: LearnedOrderSnapshot?
    /// Whether the process-exit hook is installed (once per process).
    var exitHooksInstalled = false

    /// Installs the process-exit hook once: held-at-exit for the exiting thread, then the summary
    /// line, the report file's summary and the graph file.
    mutating func installExitHooks() {
        guard !exitHooksInstalled else { return }
        exitHooksInstalled = true
        ThreadExit.installProcessExitHook()
    }

    // MARK: Locks as reports show them

    /// The thread's held locks as reports show them, most recent first.
    func heldSnapshots(_ state: UnsafeMutablePointer<lockorder_thread_state>) -> [LockSnapshot] {
        let held = lockorder_held_locks(state)!
        return (0..<Int(state.pointee.depth)).reversed().map { snapshot(held[$0]) }
    }

    /// One held entry as a report shows it.
    func snapshot(_ entry: lockorder_held_lock) -> LockSnapshot {
        Self.snapshot(entry, registry: registry, orderKeys: orderKeys)
    }

    /// One held entry as a report shows it, from the two tables it needs: for code that reads
    /// them while another table is being changed (an edge's evidence, made during its insertion).
    static func snapshot(
        _ entry: lockorder_held_lock, registry: ClassRegistry, orderKeys: [UInt64: UInt64]
    ) -> LockSnapshot {
        let record = registry.record(entry.class_id)
        let file = String(
            decoding: UnsafeBufferPointer(start: entry.file, count: Int(entry.file_length)), as: UTF8.self)
        return LockSnapshot(
            name: registry.name(of: entry.name_id, classID: entry.class_id), className: record.displayName,
            level: record.declared?.level, kind: LockKind(rawValue: entry.kind) ?? .mutex,
            declaredKind: record.declared?.kind,
            mode: entry.flags & UInt8(LOCKORDER_HELD_SHARED) != 0 ? .shared : .exclusive,
            orderKey: entry.flags & UInt8(LOCKORDER_HELD_HAS_ORDER_KEY) != 0
                ? entry.order_key : orderKeys[entry.lock_id],
            site: SourceSite.format(file: file, line: UInt(entry.line)),
            tryLock: entry.flags & UInt8(LOCKORDER_HELD_TRYLOCK) != 0)
    }

    /// A lock being acquired, released or destroyed, as a report shows it.
    func snapshot(_ identity: LockIdentity, mode: AccessMode, orderKey: UInt64?, site: SourceSite)
        -> LockSnapshot
    {
        let record = registry.record(identity.classID)
        return LockSnapshot(
            name: registry.name(of: identity.nameID, classID: identity.classID),
            className: record.displayName,
            level: record.declared?.level, kind: identity.kind, declaredKind: record.declared?.kind,
            mode: mode,
            orderKey: effectiveOrderKey(orderKey, of: identity.id), site: "\(site)", tryLock: false)
    }

    /// A lock's instance-order key: the one passed with the acquisition, or else the one given
    /// to the lock (`LockOrder.setOrderKey`).
    func effectiveOrderKey(_ passed: UInt64?, of lockID: UInt64) -> UInt64? {
        passed ?? orderKeys[lockID]
    }

    /// A held lock's instance-order key: the one recorded with the acquisition, or else the one
    /// given to the lock.
    func effectiveOrderKey(of entry: lockorder_held_lock) -> UInt64? {
        entry.flags & UInt8(LOCKORDER_HELD_HAS_ORDER_KEY) != 0 ? entry.order_key : orderKeys[entry.lock_id]
    }
}
