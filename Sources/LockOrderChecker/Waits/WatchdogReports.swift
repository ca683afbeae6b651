import CLockOrderSupport

/// The watchdog's findings turned into reports: `deadlock` and `long_wait`.
extension CheckerState {
    /// A cycle of threads each waiting for a lock the next one holds.
    func reportDeadlock(_ cycle: [WaitRecord], holders: Holders) {
        let watchdog = lockorder_current_thread_state()!
        slowPath(watchdog) {
            let candidate = tables.withLock { tables -> ViolationCandidate in
                var edges: [PendingCycleEdge] = []
                var clauses: [String] = []
                var classIDs: [UInt32] = []
                for (index, wait) in cycle.enumerated() {
                    guard wait.isLockWait else { continue }
                    let (lockID, classID, nameID) = (wait.lockID, wait.classID, wait.nameID)
                    classIDs.append(classID)
                    let waitingFor = tables.registry.name(of: nameID, classID: classID)
                    let thread = Watchdog.describe(serial: wait.thread, tid: wait.tid)
                    // What this thread holds that the previous thread in the cycle waits for.
                    let previous = cycle[(index + cycle.count - 1) % cycle.count]
                    let heldEntry = holders.thread(wait.thread)?.held.last { $0.lock_id == previous.lockID }
                    let held = heldEntry.map { tables.snapshot($0) }
                    let holder = holders.holding(lockID, except: wait.thread)
                    clauses.append(
                        "thread \(wait.thread) waits for \(waitingFor)"
                            + (holder.map { " held by thread \($0.0.serial)" } ?? ""))
                    edges.append(
                        PendingCycleEdge(
                            edge: CycleEdge(
                                from: held?.name ?? "?", to: waitingFor, modes: nil,
                                heldAt: held?.site ?? "?",
                                acquiredAt: wait.site, thread: thread, frames: []),
                            backtrace: Backtrace(addresses: wait.frames)))
                }
                let first = cycle[0]
                let firstHeld =
                    holders.thread(first.thread)?.held.reversed().map { tables.snapshot($0) } ?? []
                return ViolationCandidate(
                    kind: .deadlock,
                    message: "deadlock: \(cycle.count) threads wait for each other: "
                        + clauses.joined(separator: "; "),
                    lock: tables.lockSnapshot(first), held: firstHeld,
                    rule:
                        "threads that each wait for a lock another of them holds wait forever "
                        + "(a cycle in the wait-for graph, seen by the watchdog in two rounds in a row)",
                    cycle: edges,
                    hint:
                        "take these locks in one order in every thread (an order_cycle report, when the checker saw both "
                        + "orders, names where each was first taken)",
                    classIDs: classIDs.sorted(), site: first.site,
                    backtrace: Backtrace(addresses: first.frames),
                    thread: Watchdog.describe(serial: first.thread, tid: first.tid))
            }
            report([candidate])
        }
    }

    /// A wait that has lasted longer than LOCKORDER_WAIT_WARN.
    func reportLongWait(_ wait: WaitRecord, now: UInt64, holders: Holders) {
        let watchdog = lockorder_current_thread_state()!
        slowPath(watchdog) {
            let candidate = tables.withLock { tables -> ViolationCandidate in
                let seconds = Double(now - wait.since) / 1e9
                let waited = "\(Double(Int(seconds * 10)) / 10) s"
                let what: String
                var holderText = ""
                var hint: String
                var classIDs: [UInt32] = []
                let (lockID, classID, nameID) = (wait.lockID, wait.classID, wait.nameID)
                switch wait.what {
                case .lock:
                    what = tables.registry.name(of: nameID, classID: classID)
                    classIDs = [classID]
                    if let (holder, entry) = holders.holding(lockID, except: wait.thread) {
                        let site = tables.snapshot(entry).site ?? "?"
                        holderText =
                            ", held by \(Watchdog.describe(serial: holder.serial, tid: holder.tid)) since it took it at \(site)"
                    } else {
                        holderText = ", held by a thread the checker does not know"
                    }
                    hint =
                        "find why the holder keeps \(what) so long: it may itself be blocked, or doing slow work under it"
                case .condition:
                    let name = wait.label
                    what = "condition \(name)"
                    holderText = " (who could signal it is unknown)"
                    hint =
                        "make sure some thread signals \(name) after changing its predicate, while or after holding the mutex"
                case .semaphore:
                    let name = wait.label
                    what = "semaphore \(name)"
                    holderText = " (who could signal it is unknown)"
                    hint = "make sure every wait on \(name) is matched by a signal"
                }
                let thread = Watchdog.describe(serial: wait.thread, tid: wait.tid)
                return ViolationCandidate(
                    kind: .longWait,
                    message: "long wait: \(thread) has waited \(waited) for \(what)\(holderText)",
                    lock: tables.lockSnapshot(wait),
                    held: holders.thread(wait.thread)?.held.reversed().map { tables.snapshot($0) } ?? [],
                    rule: "a wait longer than LOCKORDER_WAIT_WARN is reported once, while it lasts",
                    hint: hint, classIDs: classIDs, site: wait.site,
                    backtrace: Backtrace(addresses: wait.frames),
                    thread: thread)
            }
            report([candidate])
        }
    }
}

extension CheckerTables {
    /// The lock a wait is for, as a report shows it; nil for a condition or a semaphore.
    fileprivate func lockSnapshot(_ wait: WaitRecord) -> LockSnapshot? {
        guard wait.isLockWait else { return nil }
        let (classID, nameID, kind, mode) = (wait.classID, wait.nameID, wait.kind, wait.mode)
        let record = registry.record(classID)
        return LockSnapshot(
            name: registry.name(of: nameID, classID: classID), className: record.displayName,
            level: record.declared?.level, kind: kind, declaredKind: record.declared?.kind, mode: mode,
            orderKey: nil, site: wait.site, tryLock: false)
    }
}

/// The text of a `deadlock` report's threads (its `cycle`: one edge per thread, from the lock it
/// holds to the lock it waits for).
enum WaitText {
    static func appendThreads(_ threads: [CycleEdge], to lines: inout [String]) {
        lines.append("  threads (each holds the lock the one before it waits for):")
        for edge in threads {
            lines.append(
                "    \(edge.thread): holds \(edge.from) (taken at \(edge.heldAt)), waits for \(edge.to) at \(edge.acquiredAt)"
            )
            lines.append("      stack when it began to wait:")
            if edge.frames.isEmpty { lines.append("        (no frames)") }
            lines += ViolationText.frameLines(edge.frames, indent: "        ")
        }
    }
}
