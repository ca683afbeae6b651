/// The one place where a rule's finding is put into words: the headline, the rule, the
/// exception that did not apply, the hint. Rules decide (Rules/Finding.swift); this file speaks.
struct FindingText {
    var message: String
    var rule: String
    var exception: String? = nil
    var missingGuard: String? = nil
    var operation: String? = nil
    var hint: String

    init(_ finding: Finding) {
        let lock = finding.lock
        let conflicting = finding.conflicting
        // Every reason that compares two locks has both; "?" only guards against a rule that
        // forgot one, which the rule tests would show.
        let acquiring = lock?.name ?? "?"
        let heldName = conflicting?.name ?? "?"
        switch finding.reason {
        case .lowerLevelHeld(let heldLevel, let level, let rootLevel, _):
            // No exception line: exceptions cover locks of one level, never a higher one, so
            // a plain inversion has none to explain.
            message =
                "level inversion: acquiring \(lock?.shortName ?? "?") while holding \(conflicting?.shortName ?? "?")"
            rule = Self.levelRule(
                heldLevel: heldLevel, acquiring: level, rootLevel: rootLevel,
                juliaHeld: Self.isJulias(conflicting), juliaAcquired: Self.isJulias(lock))
            hint =
                "acquire \(acquiring) before \(heldName) (higher levels first), or release \(heldName) first"

        case .sameLevelHeld(let level, let rootLevel, let verdict):
            message =
                "same level: acquiring \(lock?.shortName ?? "?") while holding \(conflicting?.shortName ?? "?")"
            rule = Self.levelRule(
                heldLevel: level, acquiring: level, rootLevel: rootLevel,
                juliaHeld: Self.isJulias(conflicting),
                juliaAcquired: Self.isJulias(lock))
            if let lock, let conflicting, lock.className == conflicting.className {
                // Two locks of one class: an order among them, not between classes, is needed.
                hint =
                    "to hold several \(lock.className) locks at once, take them in increasing order key (an "
                    + "instanceOrder exception for \(lock.className), and LockOrder.setOrderKey on each lock) or by "
                    + "lock id; or release \(heldName) first"
            } else {
                hint =
                    "do not hold two level \(level) locks at once: release \(heldName) before acquiring \(acquiring), or declare an exception in the hierarchy"
            }
            switch verdict {
            case .none:
                break
            case .coversOneClassOnly(let name, let lockName):
                exception = "\(name) covers several \(lockName) locks only, not \(lockName) with \(heldName)"
            case .guardNotHeld(let name, let lockName, let guardName):
                exception =
                    "\(name): several \(lockName) locks may be held at once only while \(guardName) is held; \(guardName) is not held"
                missingGuard = guardName
                hint = "acquire \(guardName) before taking several \(lockName) locks"
            case .orderKeysNotIncreasing(let name, let lockName, let orderKey, let heldKey):
                let why =
                    if let orderKey, let heldKey {
                        "order key \(orderKey) is acquired after order key \(heldKey)"
                    } else {
                        "\(orderKey == nil ? "the lock being acquired" : "the held lock") has no order key"
                    }
                func key(_ key: UInt64?) -> String { key.map(String.init) ?? "none" }
                message =
                    "instance order: acquiring \(acquiring) (level \(level), order key \(key(orderKey))) while holding \(heldName) (level \(level), order key \(key(heldKey)))"
                exception =
                    "\(name): several \(lockName) locks may be held at once only when acquired in increasing order key; \(why)"
                hint =
                    if orderKey == nil || heldKey == nil {
                        "give every \(lockName) lock an order key (LockOrder.setOrderKey, or orderKey: at the "
                            + "acquisition) and acquire them in increasing key order"
                    } else if Self.isJulias(lock) {
                        "acquire \(lockName) locks in the order their order keys give (the order they were borrowed from the pool)"
                    } else {
                        "acquire \(lockName) locks in increasing order key: sort them by key (or by lock id) before "
                            + "taking them"
                    }
            }

        case .implicitAcquisition(
            let option, let implicitLock, let implicitLevel, let heldLevel, let rootLevel, let releasing):
            let verb = releasing ? "releasing" : "acquiring"
            message =
                "\(finding.kind): \(verb) \(acquiring) implicitly acquires \(implicitLock) (level \(implicitLevel), option \(option)) while holding \(conflicting?.shortName ?? "?")"
            let juliaHeld = Self.isJulias(conflicting)
            rule =
                Self.levelRule(
                    heldLevel: heldLevel, acquiring: implicitLevel, rootLevel: rootLevel,
                    juliaHeld: juliaHeld,
                    juliaAcquired: LockHierarchy.julia.lock(named: implicitLock)?.level == implicitLevel)
                + "; \(verb) a lock with the \(option) option also acquires \(implicitLock)"
            let variant = juliaHeld ? " (like JL_LOCK_NOGC)" : ""
            hint =
                "use a variant of \(acquiring) without the \(option) option\(variant), or release \(heldName) first"

        case .implicitAcquisitionUnderItself(
            let option, let implicitLock, let implicitLevel, let level, let rootLevel, let releasing):
            let verb = releasing ? "releasing" : "acquiring"
            message =
                "\(finding.kind): \(verb) \(lock?.shortName ?? "?") with the \(option) option implicitly acquires \(implicitLock) (level \(implicitLevel)) under \(acquiring) itself"
            rule =
                Self.levelRule(
                    heldLevel: level, acquiring: implicitLevel, rootLevel: rootLevel,
                    juliaHeld: Self.isJulias(lock),
                    juliaAcquired: LockHierarchy.julia.lock(named: implicitLock)?.level == implicitLevel)
                + "; acquiring or releasing a lock with the \(option) option also acquires \(implicitLock), "
                + "so a lock of level \(implicitLevel) or lower must never be taken or released with it"
            hint =
                option == LockOption.safepoint.rawValue
                ? "take and release \(acquiring) with the _NOGC variants (JL_LOCK_NOGC and JL_UNLOCK_NOGC, not JL_LOCK and JL_UNLOCK): make the lock without the \(option) option"
                : "make \(acquiring) without the \(option) option, so that taking and releasing it acquire nothing implicitly"

        case .forbiddenOperation(let forbidden):
            let operation = forbidden.operation
            message = "forbidden operation: \(operation) while holding \(conflicting?.shortName ?? "?")"
            rule =
                "\(operation) is forbidden while holding \(forbidden.whileHolding.description): \(forbidden.reason)"
            self.operation = operation.rawValue
            hint =
                "release \(heldName) before the \(operation), or move the \(operation) to where no such lock is held"

        case .reacquired(let kind, let heldShared, let mode):
            switch (kind.isReadWrite, heldShared, mode) {
            case (true, true, .exclusive):
                message =
                    "self deadlock: acquiring \(acquiring) exclusive while this thread holds it shared (an upgrade waits for itself)"
                rule = "a thread holding the read side of a reader-writer lock cannot take its write side"
                hint = "release the read lock first, then acquire the write lock (and re-check what you read)"
            case (true, false, .shared):
                message = "self deadlock: acquiring \(acquiring) shared while this thread holds it exclusive"
                rule =
                    "a thread holding the write side of a reader-writer lock cannot also take its read side"
                hint = "the write lock already allows reading: do not take the read lock again"
            case (true, true, .shared):
                // Only a writer-preferring lock gets here: possible, not certain.
                message =
                    "self deadlock: re-taking the read side of writer-preferring \(acquiring), which this thread already holds shared"
                rule =
                    "on a writer-preferring lock a read waits behind any queued writer, so a thread that re-takes a read lock it holds can wait for itself"
                hint = "do not re-take the read lock, or make \(acquiring) reader-preferring"
            default:
                message =
                    "self deadlock: acquiring \(acquiring), which this thread already holds (\(kind) is not reentrant)"
                rule = "a non-reentrant lock cannot be acquired again by the thread that holds it"
                hint = "release \(acquiring) before acquiring it again, or make it a reentrant lock"
            }

        case .releasedWithoutHolding(let heldByAnotherThread):
            message =
                heldByAnotherThread
                ? "unlock not owner: releasing \(acquiring), which another thread holds"
                : "unlock not held: releasing \(acquiring), which this thread does not hold"
            rule =
                "only the thread that holds a lock may release it, once per acquisition (the underlying unlock was not performed)"
            hint = "pair every acquisition with exactly one release on the same thread (withLock does this)"

        case .destroyedWhileHeld(let byThisThread):
            message =
                "destroyed while held: \(acquiring) was destroyed while \(byThisThread ? "this thread" : "another thread") holds it"
            rule =
                "a lock must be released before it is destroyed (destroying a held pthread lock is undefined behaviour; it was not destroyed)"
            hint = "release \(acquiring) before the last reference to it goes away"

        case .heldAtExit(let untracked):
            let names = finding.held.map(\.name).joined(separator: ", ")
            let total = finding.held.count + untracked
            // Past the held stack's capacity the locks are counted, not named.
            let unnamed = untracked == 0 ? "" : " and \(untracked) more past the held stack's capacity"
            message =
                "held at exit: the thread ended holding \(total) lock\(total == 1 ? "" : "s"): \(names)\(unnamed)"
            rule = "a thread must release every lock it acquired before it ends"
            hint =
                "release \(names) before the thread returns (withLock releases on every exit, including a throw)"

        case .orderCycle(let classPath, let edges):
            let legend = LockLegend(locks: [lock].compactMap { $0 } + finding.held, edges: edges)
            let path = classPath.map(legend.label)
            message =
                "order cycle: acquiring \(acquiring) while holding \(heldName) closes the cycle \(path.joined(separator: " -> "))"
            rule =
                "locks must be acquired in one global order; \(legend.label(lock?.className ?? "?")) was acquired before "
                + "\(legend.label(conflicting?.className ?? "?")) elsewhere, and after it here"
            hint = Self.cycleHint(path: path, edges: edges)

        case .orderCycleAcrossRuns(let classPath, let edges, let earlierEdges):
            let legend = LockLegend(locks: [lock].compactMap { $0 } + finding.held, edges: edges)
            let path = classPath.map(legend.label)
            message =
                "order cycle with an earlier run: acquiring \(acquiring) while holding \(heldName) closes the "
                + "cycle \(path.joined(separator: " -> ")), \(earlierEdges) of its edges learned in an earlier run "
                + "(LOCKORDER_GRAPH_BASELINE)"
            rule =
                "locks must be acquired in one global order, across runs too; \(legend.label(lock?.className ?? "?")) "
                + "was seen acquired before \(legend.label(conflicting?.className ?? "?")) in an earlier run, and here "
                + "it is acquired after"
            hint = Self.cycleHint(path: path, edges: edges)

        case .instanceCycle(let instancePath, _):
            message =
                "order cycle: acquiring \(acquiring) while holding \(heldName) closes the cycle "
                + "\(instancePath.joined(separator: " -> ")) among locks of one class"
            rule =
                "locks of one class must be acquired in one order among themselves too; \(acquiring) was seen "
                + "acquired before \(heldName) (directly or through other locks of its class), and here it is acquired after"
            var locks: [String] = []
            for name in instancePath where !locks.contains(name) { locks.append(name) }
            let listed = locks.count == 2 ? locks.joined(separator: " and ") : locks.joined(separator: ", ")
            hint = Self.instanceOrderHint(listed)

        case .ownership(let expectedHeld, let mode):
            let modeWords =
                switch mode {
                case nil: ""
                case .shared: " for reading"
                case .exclusive: " for writing"
                }
            let isReadWrite = lock?.kind.isReadWrite ?? false
            message =
                expectedHeld
                ? "ownership assertion: \(acquiring) must be held\(isReadWrite ? modeWords : "") here, and this thread does not hold it"
                : "ownership assertion: \(acquiring) must not be held here, and this thread holds it"
            rule =
                expectedHeld
                ? "assertHeld: the calling thread holds the lock"
                : "assertNotHeld: the calling thread does not hold the lock"
            hint =
                expectedHeld
                ? "acquire \(acquiring) before calling this code, or call it from inside withLock"
                : "release \(acquiring) before calling this code (it may take the lock itself)"

        case .waitWhileHolding(let waitingOn, let others):
            let otherNames = others.joined(separator: ", ")
            let through = lock.map { " with \($0.name)" } ?? ""
            message = "wait while holding: waiting on \(waitingOn)\(through) while holding \(otherNames)"
            rule =
                "no thread may wait on a condition or semaphore while it holds a lock other than the condition's mutex: "
                + "every thread that needs that lock blocks until a signal, and the signal may need it"
            hint =
                "release \(otherNames) before waiting, or make the lock the condition waits with the only one held"

        case .waitNotHeld(let condition, let heldByAnotherThread):
            let holder = heldByAnotherThread ? "another thread holds" : "this thread does not hold"
            message = "wait not held: waiting on condition \(condition) with \(acquiring), which \(holder)"
            rule =
                "a condition wait releases its mutex, so the waiting thread must hold it (the wait was not made: "
                + "it returned at once, as a spurious wake-up)"
            hint =
                "take \(acquiring) before waiting, and check the condition's predicate in a loop while holding it"
        }
    }

    /// R2's warning: a lock declared with a name the active hierarchy does not have. Said once
    /// per name; the lock is then checked as undeclared.
    static func unknownDeclaredName(_ name: String, hierarchy: String, nearest: [String], lockCount: Int)
        -> String
    {
        let quoted = TerminalText.value(name)
        let suggestion =
            nearest.isEmpty
            ? "no declared name is close to it among the hierarchy's \(lockCount) lock\(lockCount == 1 ? "" : "s")"
            : "did you mean \(nearest.map { "'\($0)'" }.joined(separator: " or "))?"
        return
            "lockorder: declared name '\(quoted)' is not in the active hierarchy '\(TerminalText.value(hierarchy))' "
            + "(\(suggestion)); its locks are checked as undeclared: no level, learned order only\n"
    }

    /// R32's fallback (lockdep's notice): two locks of one class nested when the instance order
    /// had no room left, so their order is not checked. Said once per class.
    static func unorderedNesting(
        className: String, held: String, heldAt: String, acquired: String, acquiredAt: String
    ) -> String {
        "lockorder: two locks of one class nested, not ordered by instance: acquiring \(acquired) (at \(acquiredAt)) "
            + "while holding \(held) (acquired at \(heldAt)), class \(className); give them their own classes "
            + "(class: .instance), or declare the class with an instanceOrder exception and order keys\n"
    }

    /// R9 in words, with what it means for Julia's leaves and roots (said only of Julia's own
    /// locks: a user's hierarchy has levels, not Julia's vocabulary). Locks that are not in the
    /// hierarchy have no level and are outside it (R2).
    static func levelRule(
        heldLevel: Int, acquiring level: Int, rootLevel: Int, juliaHeld: Bool, juliaAcquired: Bool
    ) -> String {
        var text =
            "while a level \(heldLevel) lock is held, only locks of a strictly lower level may be acquired"
        if heldLevel == 1 && juliaHeld {
            text += "; level 1 locks are leaves: no other declared lock may be acquired while one is held"
        }
        if level == rootLevel && juliaAcquired {
            text +=
                "; level \(rootLevel) locks are roots: they may be acquired only when no other declared lock is held"
        }
        return text
    }
}

extension FindingText {
    /// Whether a lock is one of Julia's own, as the built-in table declares it (its name at its
    /// level): only then do reports use Julia's words (pools, roots, leaves, JL_LOCK_NOGC).
    static func isJulias(_ lock: LockSnapshot?) -> Bool {
        guard let lock, let level = lock.level else { return false }
        return LockHierarchy.julia.lock(named: lock.className)?.level == level
    }

    /// A thread as the report names it, with where it began when its stack says (not for the
    /// main thread, which its name says).
    static func thread(_ thread: String, frames: [Frame]) -> String {
        guard let entry = startedIn(thread, frames: frames) else { return thread }
        return "\(thread), started in \(entry)"
    }

    /// Where a thread started, as `thread(_:frames:)` says it (nil for the main thread).
    static func startedIn(_ thread: String, frames: [Frame]) -> String? {
        thread.hasSuffix(", main thread)") ? nil : Backtrace.threadEntry(frames)
    }

    /// The hint for locks of one class taken in both orders (`locks` names them): one order
    /// among them, by a key the program has or by lock id. Giving each lock its own class would
    /// not help: the two classes would then be taken in both orders.
    static func instanceOrderHint(_ locks: String) -> String {
        "acquire \(locks) in one order everywhere, by a key the program has (lowest first; declare it with the "
            + "locks' orderKey and an instanceOrder exception in a hierarchy) or by lock id"
    }

    /// An order cycle's hint: among instances of one lock (every edge between locks of one
    /// name), an order by key or by id; otherwise one order for the classes.
    static func cycleHint(path: [String], edges: [CycleEdge]) -> String {
        let names = Set(edges.flatMap { [$0.fromLock ?? $0.from, $0.toLock ?? $0.to] })
        if names.count == 1, let name = names.first, Set(path).count > 1 {
            return instanceOrderHint("\(name) locks")
        }
        return
            "pick one order for \(path.dropLast().joined(separator: ", ")) and acquire them in it everywhere, "
            + "or declare their levels in a hierarchy"
    }
}

extension ViolationCandidate {
    /// A rule's finding, worded. `edgeBacktraces` are the stored stacks of an order cycle's
    /// edges, in the finding's edge order (nil where none was kept).
    init(_ finding: Finding, edgeBacktraces: [Backtrace?] = []) {
        let text = FindingText(finding)
        var cycle: [PendingCycleEdge]?
        switch finding.reason {
        case .orderCycle(_, let edges), .orderCycleAcrossRuns(_, let edges, _),
            .instanceCycle(_, let edges):
            cycle = edges.enumerated().map { index, edge in
                PendingCycleEdge(
                    edge: edge, backtrace: index < edgeBacktraces.count ? edgeBacktraces[index] : nil)
            }
        default:
            cycle = nil
        }
        self.init(
            kind: finding.kind, message: text.message, lock: finding.lock, held: finding.held,
            rule: text.rule,
            exception: text.exception, missingGuard: text.missingGuard, operation: text.operation,
            cycle: cycle,
            hint: text.hint, classIDs: finding.classIDs, site: finding.site,
            abortsAlways: finding.isCertainDeadlock)
        self.finding = finding
    }
}

extension FindingText {
    /// The `locks:` section: each class whose label is not its full name, once, with what the
    /// full name says (a creation site, an instance's own class, a declared class).
    static func legendLines(_ legend: LockLegend) -> [String] {
        let explained = legend.explained
        guard !explained.isEmpty else { return [] }
        return ["  locks (each class once):"]
            + explained.map { entry in
                let (label, name) = (entry.label, entry.className)
                if entry.locks.count > 1 {
                    return "    \(entry.locks.joined(separator: ", ")): " + sharedClassWords(name)
                }
                if name.hasPrefix(label + " ("), name.hasSuffix(")") {
                    return
                        "    \(label): the class of locks created at \(name.dropFirst(label.count + 2).dropLast())"
                }
                if name.hasPrefix(label + " #"), let id = UInt64(name.dropFirst(label.count + 2)) {
                    return "    \(label): a class of its own, \(name) (\(id) is the lock's id)"
                }
                return "    \(label): class \(name)"
            }
    }

    /// What several locks of one class have in common, for the `locks:` section: where the
    /// class's locks are made (a class named `first lock (File.swift:12)`), or its declared name.
    private static func sharedClassWords(_ className: String) -> String {
        if className.hasSuffix(")"), let open = className.ranges(of: " (").last {
            return "locks of one class, created at \(className[open.upperBound...].dropLast())"
        }
        return "locks of class \(className)"
    }

    /// An edge of the `cycle:` section: the classes (with the modes of a read-write lock), who
    /// made the edge, and both locks by their own names with where each was taken.
    static func cycleEdgeLines(_ edge: CycleEdge, legend: LockLegend) -> [String] {
        let modes = edge.modes.map { " [\($0)]" } ?? ""
        let isThisOne = edge.thread == CycleEdge.thisAcquisition
        // An edge between two locks of one class (R32) is named by its locks.
        let (from, to) =
            edge.isAmongInstances
            ? (edge.fromLock ?? edge.from, edge.toLock ?? edge.to)
            : (legend.label(edge.from), legend.label(edge.to))
        let classes = "    \(from) -> \(to)\(modes) by "
        var lines = [
            classes + (isThisOne ? "this thread (its stack is the backtrace below)" : edge.thread),
            "      took \(edge.fromLock ?? edge.from) at \(edge.heldAt)",
            "      then \(edge.toLock ?? edge.to) at \(edge.acquiredAt)",
        ]
        if !isThisOne && !edge.frames.isEmpty {
            let started =
                startedIn(edge.thread, frames: edge.frames).map { " (the thread started in \($0))" } ?? ""
            lines.append("      its stack then\(started):")
        }
        return lines
    }

    /// The deadlock an order cycle allows, one row a thread, in the order the edges were first
    /// seen (the refused acquisition last): each thread holds the first lock of its edge and
    /// waits for the second, which the next thread holds. Nil for other reports and for a
    /// cycle through an earlier run's order (no thread of this run made those edges).
    static func deadlockRows(thread: String, cycle: [CycleEdge]) -> [DeadlockRow]? {
        guard cycle.count >= 2, !cycle.contains(where: { $0.thread.hasPrefix("earlier run") }) else {
            return nil
        }
        var rows: [DeadlockRow] = []
        var threads: Set<String> = []
        for edge in cycle.dropFirst() + cycle.prefix(1) {
            let name = edge.thread == CycleEdge.thisAcquisition ? thread : edge.thread
            rows.append(
                DeadlockRow(
                    thread: threads.insert(name).inserted ? name : "another thread",
                    holds: edge.fromLock ?? edge.from,
                    waitsFor: edge.toLock ?? edge.to))
        }
        return rows
    }

    /// The `deadlock:` section: a title, then the rows in two aligned columns.
    static func deadlockLines(_ rows: [DeadlockRow]) -> [String] {
        let threadWidth = rows.map(\.thread.count).max() ?? 0
        let holdsWidth = rows.map { "holds \($0.holds),".count }.max() ?? 0
        func padded(_ text: String, to width: Int) -> String {
            text + String(repeating: " ", count: max(0, width - text.count))
        }
        return ["  deadlock (if these threads run at once, none of them can go on):"]
            + rows.map { row in
                "    " + padded(row.thread, to: threadWidth) + "  "
                    + padded("holds \(row.holds),", to: holdsWidth)
                    + " waits for \(row.waitsFor)"
            }
    }
}
