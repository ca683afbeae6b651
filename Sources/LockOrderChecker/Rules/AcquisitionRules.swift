import CLockOrderSupport

/// The declared-hierarchy rules, evaluated off the fast path: levels, the hierarchy's
/// exceptions, implicit acquisitions, forbidden operations, and misuse of a single lock.
extension CheckerState {
    /// An acquisition whose level conflicts with a held lock, or that implicitly acquires
    /// another lock: decide, report, and learn its order when it broke no level rule.
    func checkAcquisitionSlowly(
        _ identity: LockIdentity, mode: AccessMode, orderKey: UInt64?, site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let (candidates, cacheable, stamp) = tables.withLock {
                tables -> ([ViolationCandidate], Bool, ChainKey.Stamp) in
                var found: [ViolationCandidate] = []
                if let finding = tables.levelViolation(
                    identity, mode: mode, orderKey: orderKey, site: site, state: state)
                {
                    found.append(ViolationCandidate(finding))
                }
                found += tables.implicitAcquisitionViolations(
                    identity, site: site, state: state, releasing: false
                ).map { ViolationCandidate($0) }
                if found.isEmpty && lockorder_learning() != 0 {
                    found += tables.learnEdges(identity, mode: mode, site: site, state: state)
                }
                return (found, found.isEmpty && !tables.isInstanceOrdered(identity.classID), .current)
            }
            // An allowed chain is remembered, so the fast path clears it next time. Not when an
            // instance-order exception allowed it: that verdict depends on order keys, which the
            // chain key does not hold. A violation is never remembered, so repeats are counted.
            // With nothing held there is no chain (only the lock's own option brought it here).
            if cacheable && state.pointee.depth > 0 {
                let held = lockorder_held_locks(state)!
                let depth = Int(state.pointee.depth)
                let chain = ChainKey.mix(
                    held[depth - 1].chain, classID: identity.classID, lockID: identity.id,
                    shared: mode == .shared)
                ChainKey.remember(chain, in: state, decidedUnder: stamp)
            }
            report(candidates)
        }
    }

    // MARK: Implicit acquisitions (R12 of docs/rules.md)

    /// Checks the lock a safepoint-style option implicitly acquires (JL_LOCK and JL_UNLOCK touch
    /// safepoint_lock) against the held locks; called from the release path too.
    func checkImplicitAcquisitions(
        of identity: LockIdentity, site: SourceSite, state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        guard
            state.pointee.depth > 0
                || lockorder_implicit_conflicts_with_own_level(
                    identity.optionBits, lockorder_class_level(identity.classID))
        else { return }
        slowPath(state) {
            let candidates = tables.withLock { tables in
                tables.implicitAcquisitionViolations(identity, site: site, state: state, releasing: true)
                    .map { ViolationCandidate($0) }
            }
            report(candidates)
        }
    }

    // MARK: Forbidden operations (R13 of docs/rules.md)

    func checkOperation(
        _ operation: ThreadOperation, site: SourceSite, state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let candidates = tables.withLock { tables -> [ViolationCandidate] in
                let held = lockorder_held_locks(state)!
                for index in (0..<Int(state.pointee.depth)).reversed() {
                    guard let declared = tables.registry.record(held[index].class_id).declared else {
                        continue
                    }
                    for rule in tables.hierarchy.forbiddenOperations
                    where rule.operation == operation
                        && rule.whileHolding.matches(declared, in: tables.hierarchy)
                    {
                        let finding = Finding(
                            reason: .forbiddenOperation(rule), lock: nil,
                            conflicting: tables.snapshot(held[index]), held: tables.heldSnapshots(state),
                            classIDs: [held[index].class_id], site: "\(site)")
                        return [ViolationCandidate(finding)]
                    }
                }
                return []
            }
            report(candidates)
        }
    }

    // MARK: Misuse of one lock

    func reportSelfDeadlock(
        _ identity: LockIdentity, mode: AccessMode, orderKey: UInt64?, site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let finding = tables.withLock { tables -> Finding in
                let held = lockorder_held_locks(state)!
                let heldEntry = (0..<Int(state.pointee.depth)).map { held[$0] }.last {
                    $0.lock_id == identity.id
                }
                let heldShared = (heldEntry?.flags ?? 0) & UInt8(LOCKORDER_HELD_SHARED) != 0
                return Finding(
                    reason: .reacquired(kind: identity.kind, heldShared: heldShared, mode: mode),
                    lock: tables.snapshot(identity, mode: mode, orderKey: orderKey, site: site),
                    held: tables.heldSnapshots(state), classIDs: [identity.classID], site: "\(site)")
            }
            report([ViolationCandidate(finding)])
        }
    }

    func reportUnlockNotHeld(
        _ identity: LockIdentity, mode: AccessMode, heldByAnotherThread: Bool, site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let finding = tables.withLock { tables -> Finding in
                // A thread that holds the lock in the other mode is the holder the caller's
                // probe saw: the misuse is this thread's, not another thread's.
                let held = lockorder_held_locks(state)!
                let heldHereInOtherMode = (0..<Int(state.pointee.depth)).contains {
                    held[$0].lock_id == identity.id
                }
                return Finding(
                    reason: .releasedWithoutHolding(
                        heldByAnotherThread: heldByAnotherThread && !heldHereInOtherMode),
                    lock: tables.snapshot(identity, mode: mode, orderKey: nil, site: site),
                    held: tables.heldSnapshots(state), classIDs: [identity.classID], site: "\(site)")
            }
            report([ViolationCandidate(finding)])
        }
    }

    func lockDestroyed(_ identity: LockIdentity, heldElsewhere: Bool, site passedSite: SourceSite?) -> Bool {
        // A signal handler inside the checker: its locks may be this thread's; nothing is
        // forgotten (an instance class stays taken).
        if CheckerMark.isInside { return false }
        var heldHere = false
        if let state = LockOrder.checkedThreadState() {
            let held = lockorder_held_locks(state)!
            let depth = Int(state.pointee.depth)
            if let index = (0..<depth).last(where: { held[$0].lock_id == identity.id }) {
                heldHere = true
                slowPath(state) {
                    let finding = tables.withLock { tables in
                        tables.destroyedWhileHeld(
                            identity, byThisThread: true, site: passedSite, state: state)
                    }
                    HeldStack.remove(at: index, from: state)
                    report([ViolationCandidate(finding)])
                }
            } else if heldElsewhere {
                slowPath(state) {
                    let finding = tables.withLock { tables in
                        tables.destroyedWhileHeld(
                            identity, byThisThread: false, site: passedSite, state: state)
                    }
                    report([ViolationCandidate(finding)])
                }
            }
        }
        // A lock of a class that nests itself takes its instance edges with it (R3, R32); a lock
        // still held elsewhere keeps them, as its id is still in use.
        if lockorder_class_nests_itself(identity.classID) != 0 && (heldHere || !heldElsewhere) {
            tables.withLock { $0.instances.forget(identity.id) }
        }
        // A lock another thread still holds keeps its instance class for good: the holder's
        // entry names it, so the id must not go to a new lock (the lock is never destroyed
        // either, see the return value).
        if identity.hasInstanceClass && (heldHere || !heldElsewhere) {
            tables.withLock { tables in
                tables.learned.forgetClass(identity.classID)
                tables.registry.releaseInstanceClass(identity.classID)
            }
        }
        return heldHere
    }
}

extension CheckerTables {

    /// Whether locks of the class are ordered by instance (an instance-order exception).
    func isInstanceOrdered(_ classID: UInt32) -> Bool {
        guard let declared = registry.record(classID).declared else { return false }
        return exceptionsMentioning(declared.name).contains {
            if case .instanceOrder = $0 { true } else { false }
        }
    }

    /// The level rule and its exceptions for one acquisition (R9 and R15 to R17 of docs/rules.md).
    func levelViolation(
        _ identity: LockIdentity, mode: AccessMode, orderKey: UInt64?, site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> Finding? {
        guard let declared = registry.record(identity.classID).declared else { return nil }
        let level = declared.level
        let held = lockorder_held_locks(state)!
        let depth = Int(state.pointee.depth)
        let heldRecords = (0..<depth).reversed().map { held[$0] }
        // The fast path's predicate picks the held locks in conflict; which conflict it is and
        // whether an exception allows it is decided here.
        let conflicts = heldRecords.filter { lockorder_level_conflicts($0.level, UInt16(level)) }
        guard !conflicts.isEmpty else { return nil }
        let acquiring = snapshot(identity, mode: mode, orderKey: orderKey, site: site)

        // The most severe conflict wins: a held lock of the lowest level below ours, else the
        // most recent same-level lock that no exception covers.
        if let worst = conflicts.filter({ Int($0.level) < level }).min(by: { $0.level < $1.level }) {
            return Finding(
                reason: .lowerLevelHeld(
                    heldLevel: Int(worst.level), level: level, rootLevel: rootLevel,
                    lockHasExceptions: !exceptionsMentioning(declared.name).isEmpty),
                lock: acquiring, conflicting: snapshot(worst), held: heldSnapshots(state),
                classIDs: [identity.classID, worst.class_id], site: "\(site)")
        }
        for entry in conflicts {
            guard
                let verdict = sameLevelVerdict(
                    identity, declared: declared, orderKey: orderKey, heldEntry: entry,
                    heldRecords: heldRecords)
            else { continue }
            return Finding(
                reason: .sameLevelHeld(level: level, rootLevel: rootLevel, exception: verdict),
                lock: acquiring, conflicting: snapshot(entry), held: heldSnapshots(state),
                classIDs: [identity.classID, entry.class_id], site: "\(site)")
        }
        return nil
    }

    /// Whether holding `heldEntry`, a lock of the acquired one's level, breaks the level rule:
    /// nil when an exception allows it, else what the exceptions said (R15 to R17).
    fileprivate func sameLevelVerdict(
        _ identity: LockIdentity, declared: DeclaredLock, orderKey: UInt64?, heldEntry: lockorder_held_lock,
        heldRecords: [lockorder_held_lock]
    ) -> Finding.ExceptionVerdict? {
        guard let exception = exceptionsMentioning(declared.name).first else {
            return Finding.ExceptionVerdict.none
        }
        guard heldEntry.class_id == identity.classID else {
            return .coversOneClassOnly(exception: exception.name, lockName: declared.name)
        }
        switch exception {
        case .guardedSameLevel(_, let guardName):
            let guardHeld = heldRecords.contains { registry.record($0.class_id).declared?.name == guardName }
            return guardHeld
                ? nil
                : .guardNotHeld(exception: exception.name, lockName: declared.name, guardName: guardName)
        case .instanceOrder:
            let heldKey = effectiveOrderKey(of: heldEntry)
            let orderKey = effectiveOrderKey(orderKey, of: identity.id)
            if let heldKey, let orderKey, heldKey < orderKey { return nil }
            return .orderKeysNotIncreasing(
                exception: exception.name, lockName: declared.name, orderKey: orderKey, heldKey: heldKey)
        }
    }

    /// The level of the hierarchy's roots (its highest), which the level rule's words mention.
    var rootLevel: Int { hierarchy.locks.map(\.level).max() ?? 0 }

    func exceptionsMentioning(_ name: String) -> [HierarchyException] {
        hierarchy.exceptions.filter { $0.lockName == name }
    }

    /// R12: the locks the acquired (or released) lock's options implicitly acquire, against the
    /// held locks.
    func implicitAcquisitionViolations(
        _ identity: LockIdentity, site: SourceSite, state: UnsafeMutablePointer<lockorder_thread_state>,
        releasing: Bool
    ) -> [Finding] {
        guard identity.optionBits != 0 else { return [] }
        let options = registry.options(in: identity.optionBits)
        let held = lockorder_held_locks(state)!
        let heldRecords = (0..<Int(state.pointee.depth)).reversed().map { held[$0] }
        // The level the fast path compares (the C table), so that the two cannot disagree.
        let ownLevel = lockorder_class_level(identity.classID)
        var found: [Finding] = []
        for implicit in hierarchy.implicitAcquisitions where options.contains(implicit.option.rawValue) {
            guard let implicitLock = hierarchy.lock(named: implicit.lock) else { continue }
            // The implicit acquisition happens with the lock itself held: a lock whose own level
            // conflicts with the implicit lock's must never be taken or released with the option.
            if lockorder_implicit_conflicts(UInt16(implicitLock.level), ownLevel) {
                let own = snapshot(identity, mode: .exclusive, orderKey: nil, site: site)
                found.append(
                    Finding(
                        reason: .implicitAcquisitionUnderItself(
                            option: implicit.option.rawValue, implicitLock: implicitLock.name,
                            implicitLevel: implicitLock.level, level: Int(ownLevel), rootLevel: rootLevel,
                            releasing: releasing),
                        lock: own, conflicting: own, held: heldSnapshots(state),
                        classIDs: [identity.classID, identity.classID, UInt32.max], site: "\(site)"))
            }
            // A held lock of the implicit lock's own class counts too: taking safepoint_lock
            // again while holding it is a same-level acquisition (and, for Julia's
            // non-reentrant uv_mutex_t, a certain deadlock).
            let conflicts = heldRecords.filter {
                lockorder_implicit_conflicts(UInt16(implicitLock.level), $0.level)
                    && $0.lock_id != identity.id
            }
            guard let worst = conflicts.min(by: { $0.level < $1.level }) else { continue }
            found.append(
                Finding(
                    reason: .implicitAcquisition(
                        option: implicit.option.rawValue, implicitLock: implicitLock.name,
                        implicitLevel: implicitLock.level, heldLevel: Int(worst.level), rootLevel: rootLevel,
                        releasing: releasing),
                    lock: snapshot(identity, mode: .exclusive, orderKey: nil, site: site),
                    conflicting: snapshot(worst), held: heldSnapshots(state),
                    classIDs: [identity.classID, worst.class_id, UInt32.max], site: "\(site)"))
        }
        return found
    }

    /// R6: a lock destroyed while held. Its report points at the site passed, or else (a deinit
    /// has no call site of its own) at where the lock was created.
    fileprivate func destroyedWhileHeld(
        _ identity: LockIdentity, byThisThread: Bool, site passed: SourceSite?,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> Finding {
        let site = passed ?? registry.creationSite(of: identity.nameID) ?? SourceSite(fileID: "?", line: 0)
        return Finding(
            reason: .destroyedWhileHeld(byThisThread: byThisThread),
            lock: snapshot(identity, mode: .exclusive, orderKey: nil, site: site), held: heldSnapshots(state),
            classIDs: [identity.classID], site: "\(site)")
    }
}
