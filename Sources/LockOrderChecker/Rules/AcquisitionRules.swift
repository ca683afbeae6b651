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
            let (candidates, cacheable) = tables.withLock { tables -> ([ViolationCandidate], Bool) in
                var found: [ViolationCandidate] = []
                if let candidate = tables.levelViolation(
                    identity, mode: mode, orderKey: orderKey, site: site, state: state)
                {
                    found.append(candidate)
                }
                found += tables.implicitAcquisitionViolations(
                    identity, site: site, state: state, releasing: false)
                if found.isEmpty && lockorder_learning() != 0 {
                    found += tables.learnEdges(identity, mode: mode, site: site, state: state)
                }
                return (found, found.isEmpty && !tables.isInstanceOrdered(identity.classID))
            }
            // An allowed chain is remembered, so the fast path clears it next time. Not when an
            // instance-order exception allowed it: that verdict depends on order keys, which the
            // chain key does not hold. A violation is never remembered, so repeats are counted.
            if cacheable {
                let held = lockorder_held_locks(state)!
                let depth = Int(state.pointee.depth)
                let chain = lockorder_chain_mix(
                    held[depth - 1].chain, identity.classID, mode == .shared ? 1 : 0)
                ChainKey.remember(chain, in: state)
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
        guard state.pointee.depth > 0 else { return }
        slowPath(state) {
            let candidates = tables.withLock { tables in
                tables.implicitAcquisitionViolations(identity, site: site, state: state, releasing: true)
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
                        let heldSnapshot = tables.snapshot(held[index])
                        return [
                            ViolationCandidate(
                                kind: .forbiddenOperation,
                                message:
                                    "forbidden operation: \(operation) while holding \(heldSnapshot.shortName)",
                                lock: nil, held: tables.heldSnapshots(state),
                                rule:
                                    "\(operation) is forbidden while holding \(rule.whileHolding.description): \(rule.reason)",
                                operation: operation.rawValue,
                                hint:
                                    "release \(heldSnapshot.name) before the \(operation), or move the \(operation) to where no such lock is held",
                                classIDs: [held[index].class_id], site: "\(site)")
                        ]
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
            let candidate = tables.withLock { tables -> ViolationCandidate in
                let acquiring = tables.snapshot(identity, mode: mode, orderKey: orderKey, site: site)
                let held = lockorder_held_locks(state)!
                let heldEntry = (0..<Int(state.pointee.depth)).map { held[$0] }.last {
                    $0.lock_id == identity.id
                }
                let heldShared = (heldEntry?.flags ?? 0) & UInt8(LOCKORDER_HELD_SHARED) != 0
                var candidate = ViolationCandidate(
                    kind: .selfDeadlock,
                    message:
                        "self deadlock: acquiring \(acquiring.name), which this thread already holds (\(identity.kind) is not reentrant)",
                    lock: acquiring, held: tables.heldSnapshots(state),
                    rule: "a non-reentrant lock cannot be acquired again by the thread that holds it",
                    hint: "release \(acquiring.name) before acquiring it again, or make it a reentrant lock",
                    classIDs: [identity.classID], site: "\(site)", abortsAlways: true)
                if identity.kind.isReadWrite {
                    switch (heldShared, mode) {
                    case (true, .exclusive):
                        candidate.message =
                            "self deadlock: acquiring \(acquiring.name) exclusive while this thread holds it shared (an upgrade waits for itself)"
                        candidate.rule =
                            "a thread holding the read side of a reader-writer lock cannot take its write side"
                        candidate.hint =
                            "release the read lock first, then acquire the write lock (and re-check what you read)"
                    case (false, .shared):
                        candidate.message =
                            "self deadlock: acquiring \(acquiring.name) shared while this thread holds it exclusive"
                        candidate.rule =
                            "a thread holding the write side of a reader-writer lock cannot also take its read side"
                        candidate.hint =
                            "the write lock already allows reading: do not take the read lock again"
                    case (true, .shared):
                        // Only a writer-preferring lock gets here: possible, not certain.
                        candidate.message =
                            "self deadlock: re-taking the read side of writer-preferring \(acquiring.name), which this thread already holds shared"
                        candidate.rule =
                            "on a writer-preferring lock a read waits behind any queued writer, so a thread that re-takes a read lock it holds can wait for itself"
                        candidate.hint =
                            "do not re-take the read lock, or make \(acquiring.name) reader-preferring"
                        candidate.abortsAlways = false
                    case (false, .exclusive):
                        break
                    }
                }
                return candidate
            }
            report([candidate])
        }
    }

    func reportUnlockNotHeld(
        _ identity: LockIdentity, mode: AccessMode, heldByAnotherThread: Bool, site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let candidate = tables.withLock { tables -> ViolationCandidate in
                let releasing = tables.snapshot(identity, mode: mode, orderKey: nil, site: site)
                // A thread that holds the lock in the other mode is the holder the caller's
                // probe saw: the misuse is this thread's, not another thread's.
                let held = lockorder_held_locks(state)!
                let heldHereInOtherMode = (0..<Int(state.pointee.depth)).contains {
                    held[$0].lock_id == identity.id
                }
                let heldByAnotherThread = heldByAnotherThread && !heldHereInOtherMode
                return ViolationCandidate(
                    kind: heldByAnotherThread ? .unlockNotOwner : .unlockNotHeld,
                    message: heldByAnotherThread
                        ? "unlock not owner: releasing \(releasing.name), which another thread holds"
                        : "unlock not held: releasing \(releasing.name), which this thread does not hold",
                    lock: releasing, held: tables.heldSnapshots(state),
                    rule:
                        "only the thread that holds a lock may release it, once per acquisition (the underlying unlock was not performed)",
                    hint:
                        "pair every acquisition with exactly one release on the same thread (withLock does this)",
                    classIDs: [identity.classID], site: "\(site)")
            }
            report([candidate])
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
                    let candidate = tables.withLock { tables -> ViolationCandidate in
                        let site = tables.destroySite(identity, passed: passedSite)
                        let destroyed = tables.snapshot(identity, mode: .exclusive, orderKey: nil, site: site)
                        return tables.destroyedCandidate(
                            destroyed, identity: identity, byThisThread: true,
                            held: tables.heldSnapshots(state), site: site)
                    }
                    HeldStack.remove(at: index, from: state)
                    report([candidate])
                }
            } else if heldElsewhere {
                slowPath(state) {
                    let candidate = tables.withLock { tables -> ViolationCandidate in
                        let site = tables.destroySite(identity, passed: passedSite)
                        let destroyed = tables.snapshot(identity, mode: .exclusive, orderKey: nil, site: site)
                        return tables.destroyedCandidate(
                            destroyed, identity: identity, byThisThread: false,
                            held: tables.heldSnapshots(state), site: site)
                    }
                    report([candidate])
                }
            }
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
    ) -> ViolationCandidate? {
        guard let declared = registry.record(identity.classID).declared else { return nil }
        let level = declared.level
        let held = lockorder_held_locks(state)!
        let depth = Int(state.pointee.depth)
        let heldRecords = (0..<depth).reversed().map { held[$0] }
        let acquiring = snapshot(identity, mode: mode, orderKey: orderKey, site: site)

        // The most severe conflict wins: a held lock of the lowest level below ours, else the
        // most recent same-level lock that no exception covers.
        let inversions = heldRecords.filter { $0.level != 0 && Int($0.level) < level }
        if let worst = inversions.min(by: { $0.level < $1.level }) {
            let heldSnapshot = snapshot(worst)
            return ViolationCandidate(
                kind: .levelInversion,
                message:
                    "level inversion: acquiring \(acquiring.shortName) while holding \(heldSnapshot.shortName)",
                lock: acquiring, held: heldSnapshots(state),
                rule: levelRuleText(heldLevel: Int(worst.level), acquiring: level),
                exception: exceptionsMentioning(declared.name).isEmpty
                    ? nil
                    : "exceptions in the hierarchy cover locks of equal level only, never a higher level",
                hint:
                    "acquire \(acquiring.name) before \(heldSnapshot.name) (higher levels first), or release \(heldSnapshot.name) before acquiring \(acquiring.name)",
                classIDs: [identity.classID, worst.class_id], site: "\(site)")
        }
        for entry in heldRecords where entry.level != 0 && Int(entry.level) == level {
            if let candidate = sameLevelViolation(
                identity, acquiring: acquiring, declared: declared, orderKey: orderKey, heldEntry: entry,
                heldRecords: heldRecords, site: site, state: state)
            {
                return candidate
            }
        }
        return nil
    }

    fileprivate func sameLevelViolation(
        _ identity: LockIdentity, acquiring: LockSnapshot, declared: DeclaredLock, orderKey: UInt64?,
        heldEntry: lockorder_held_lock, heldRecords: [lockorder_held_lock], site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> ViolationCandidate? {
        let heldSnapshot = snapshot(heldEntry)
        let level = declared.level
        let rule = levelRuleText(heldLevel: level, acquiring: level)
        let sameClass = heldEntry.class_id == identity.classID
        var candidate = ViolationCandidate(
            kind: .sameLevel,
            message: "same level: acquiring \(acquiring.shortName) while holding \(heldSnapshot.shortName)",
            lock: acquiring, held: heldSnapshots(state), rule: rule,
            hint:
                "do not hold two level \(level) locks at once: release \(heldSnapshot.name) before acquiring \(acquiring.name), or declare an exception in the hierarchy",
            classIDs: [identity.classID, heldEntry.class_id], site: "\(site)")
        let exceptions = exceptionsMentioning(declared.name)
        guard sameClass, let exception = exceptions.first else {
            if let exception = exceptions.first {
                candidate.exception =
                    "\(exception.name) covers several \(declared.name) locks only, not \(declared.name) with \(heldSnapshot.name)"
            }
            return candidate
        }
        switch exception {
        case .guardedSameLevel(_, let guardName):
            let guardHeld = heldRecords.contains { registry.record($0.class_id).declared?.name == guardName }
            if guardHeld { return nil }
            candidate.exception =
                "\(exception.name): several \(declared.name) locks may be held at once only while \(guardName) is held; \(guardName) is not held"
            candidate.missingGuard = guardName
            candidate.hint = "acquire \(guardName) before taking several \(declared.name) locks"
            return candidate
        case .instanceOrder:
            let heldKey = effectiveOrderKey(of: heldEntry)
            let orderKey = effectiveOrderKey(orderKey, of: identity.id)
            if let heldKey, let orderKey, heldKey < orderKey { return nil }
            let why: String
            if orderKey == nil || heldKey == nil {
                why = "\(orderKey == nil ? "the lock being acquired" : "the held lock") has no order key"
            } else {
                why = "order key \(orderKey!) is acquired after order key \(heldKey!)"
            }
            candidate.kind = .instanceOrder
            candidate.message =
                "instance order: acquiring \(acquiring.name) (level \(level), order key \(orderKey.map(String.init) ?? "none")) while holding \(heldSnapshot.name) (level \(level), order key \(heldKey.map(String.init) ?? "none"))"
            candidate.exception =
                "\(exception.name): several \(declared.name) locks may be held at once only when acquired in increasing order key; \(why)"
            candidate.hint =
                "acquire \(declared.name) locks in the order their order keys give (the order they were borrowed from the pool)"
            return candidate
        }
    }

    /// Rules 1 and 2 in words: the level rule, and what it means for leaves and roots. Locks
    /// that are not in the hierarchy have no level and are outside these rules (R2 of docs/rules.md).
    func levelRuleText(heldLevel: Int, acquiring level: Int) -> String {
        var text =
            "while a level \(heldLevel) lock is held, only locks of a strictly lower level may be acquired"
        if heldLevel == 1 {
            text += "; level 1 locks are leaves: no other declared lock may be acquired while one is held"
        }
        let rootLevel = hierarchy.locks.map(\.level).max() ?? 0
        if level == rootLevel {
            text +=
                "; level \(rootLevel) locks are roots: they may be acquired only when no other declared lock is held"
        }
        return text
    }

    func exceptionsMentioning(_ name: String) -> [HierarchyException] {
        hierarchy.exceptions.filter { $0.lockName == name }
    }

    func implicitAcquisitionViolations(
        _ identity: LockIdentity, site: SourceSite, state: UnsafeMutablePointer<lockorder_thread_state>,
        releasing: Bool
    ) -> [ViolationCandidate] {
        guard identity.optionBits != 0 else { return [] }
        let options = registry.options(in: identity.optionBits)
        let held = lockorder_held_locks(state)!
        let heldRecords = (0..<Int(state.pointee.depth)).reversed().map { held[$0] }
        let lockName = registry.name(of: identity.nameID, classID: identity.classID)
        var found: [ViolationCandidate] = []
        for implicit in hierarchy.implicitAcquisitions where options.contains(implicit.option.rawValue) {
            guard let implicitLock = hierarchy.lock(named: implicit.lock) else { continue }
            // A held lock of the implicit lock's own class counts too: taking safepoint_lock
            // again while holding it is a same-level acquisition (and, for Julia's
            // non-reentrant uv_mutex_t, a certain deadlock).
            let conflicts = heldRecords.filter {
                lockorder_implicit_conflicts(UInt16(implicitLock.level), $0.level)
                    && $0.lock_id != identity.id
            }
            guard let worst = conflicts.min(by: { $0.level < $1.level }) else { continue }
            let heldSnapshot = snapshot(worst)
            let isInversion = Int(worst.level) < implicitLock.level
            let verb = releasing ? "releasing" : "acquiring"
            found.append(
                ViolationCandidate(
                    kind: isInversion ? .levelInversion : .sameLevel,
                    message:
                        "\(isInversion ? "level inversion" : "same level"): \(verb) \(lockName) implicitly acquires \(implicitLock.name) (level \(implicitLock.level), option \(implicit.option.rawValue)) while holding \(heldSnapshot.shortName)",
                    lock: snapshot(identity, mode: .exclusive, orderKey: nil, site: site),
                    held: heldSnapshots(state),
                    rule: levelRuleText(heldLevel: Int(worst.level), acquiring: implicitLock.level)
                        + "; \(verb) a lock with the \(implicit.option.rawValue) option also acquires \(implicitLock.name)",
                    hint:
                        "use a variant of \(lockName) without the \(implicit.option.rawValue) option (like JL_LOCK_NOGC), or release \(heldSnapshot.name) first",
                    classIDs: [identity.classID, worst.class_id, UInt32.max], site: "\(site)"))
        }
        return found
    }

    /// Where a destroyed lock's report points: the site passed, or else (a deinit has no call
    /// site of its own) where the lock was created.
    fileprivate func destroySite(_ identity: LockIdentity, passed: SourceSite?) -> SourceSite {
        passed ?? registry.creationSite(of: identity.nameID) ?? SourceSite(fileID: "?", line: 0)
    }

    fileprivate func destroyedCandidate(
        _ destroyed: LockSnapshot, identity: LockIdentity, byThisThread: Bool, held: [LockSnapshot],
        site: SourceSite
    ) -> ViolationCandidate {
        ViolationCandidate(
            kind: .destroyedWhileHeld,
            message:
                "destroyed while held: \(destroyed.name) was destroyed while \(byThisThread ? "this thread" : "another thread") holds it",
            lock: destroyed, held: held,
            rule:
                "a lock must be released before it is destroyed (destroying a held pthread lock is undefined behaviour; it was not destroyed)",
            hint: "release \(destroyed.name) before the last reference to it goes away",
            classIDs: [identity.classID], site: "\(site)")
    }
}
