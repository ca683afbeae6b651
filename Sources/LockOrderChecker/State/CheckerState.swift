import CLockOrderSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Everything the checker knows beyond the per-thread held stacks: classes and names, the
/// active hierarchy, the learned order, and what was reported.
///
/// Guarded by `lock`, a raw mutex that is never reported. Lock order inside the checker:
/// the backtrace lock (taken first by every slow path that may report), then `lock`; nothing
/// is waited for while `lock` is held: it guards short work only.
final class CheckerState: @unchecked Sendable {
    static let shared = CheckerState()

    let lock = RawMutex()
    var registry = ClassRegistry()
    var hierarchy: LockHierarchy = .julia
    var reporter = Reporter()
    var learned = ClassOrderGraph()
    /// Instance-order keys given to locks that do not pass one with each acquisition (LockCore's),
    /// by lock id. Few locks have one, so no lock spends 8 bytes on it; the rules look it up.
    var orderKeys: [UInt64: UInt64] = [:]
    var configuration = Configuration()
    /// The most recent violations are also collected here while a test checks (`withChecking`).
    var isCollecting = false
    private let nextLockID = AtomicCounter()
    private var exitHooksInstalled = false

    // MARK: Registration

    func register(
        name: String?, lockClass: LockClass, kind: LockKind, options: [LockOption], site: SourceSite
    ) -> LockIdentity {
        let id = nextLockID.next()
        if CheckerMark.isInside {
            // A signal handler interrupted the checker, whose locks this thread may hold: the
            // lock gets the unchecked class, which orders nothing, and no name.
            return LockIdentity(
                id: id, classID: ClassRegistry.overflowClassID, nameID: 0, kind: kind, optionBits: 0)
        }
        var notices: [String] = []
        let identity = lock.withLock { () -> LockIdentity in
            let key: ClassRegistry.Key
            switch lockClass {
            case .creationSite: key = .site(file: UInt(bitPattern: site.fileID.utf8Start), line: site.line)
            case .declared(let declaredName): key = .declared(declaredName)
            case .instance: key = .instance(id)
            }
            let classID =
                registry.classIDLocked(
                    for: key,
                    displayName: Self.displayName(for: lockClass, name: name, id: id, site: site),
                    hierarchy: hierarchy)
                ?? {
                    if reporter.noteCapacityLocked("lock classes") {
                        notices.append(
                            "the class table is full (\(LOCKORDER_CLASS_CAPACITY) classes); new classes share one "
                                + "unchecked class from now on, while every check on existing classes goes on"
                        )
                    }
                    return ClassRegistry.overflowClassID
                }()
            let interned = registry.nameIDLocked(for: name, site: site)
            let nameID = interned.id
            if interned.overflowed && reporter.noteCapacityLocked("lock names") {
                notices.append(
                    "the name table is full (\(ClassRegistry.nameCapacity) names); new locks show their "
                        + "class name in reports")
            }
            var optionBits: UInt8 = 0
            for option in options {
                if let bit = registry.optionBitLocked(for: option.rawValue, hierarchy: hierarchy) {
                    optionBits |= bit
                }
            }
            return LockIdentity(id: id, classID: classID, nameID: nameID, kind: kind, optionBits: optionBits)
        }
        for notice in notices { StandardError.write("lockorder: capacity: \(notice)\n") }
        return identity
    }

    private static func displayName(for lockClass: LockClass, name: String?, id: UInt64, site: SourceSite)
        -> String
    {
        switch lockClass {
        case .creationSite: name.map { "\($0) (\(site))" } ?? "\(site)"
        case .declared(let declaredName): declaredName
        case .instance: "\(name ?? "lock") #\(id)"
        }
    }

    // MARK: Threads

    /// Discards a held stack left from an earlier checking epoch and arms the thread-exit check.
    func startThread(_ state: UnsafeMutablePointer<lockorder_thread_state>, epoch: UInt64) {
        state.pointee.depth = 0
        state.pointee.untracked = 0
        state.pointee.chain_epoch = 0
        state.pointee.epoch = epoch
        if state.pointee.exit_hook_armed == 0 {
            state.pointee.exit_hook_armed = 1
            ThreadExit.arm()
            if WaitRegistry.isPublishing.load(ordering: .relaxed) { ThreadRegistry.add(state) }
        }
    }

    /// The thread's held locks as reports show them, most recent first.
    func heldSnapshotsLocked(_ state: UnsafeMutablePointer<lockorder_thread_state>) -> [LockSnapshot] {
        let held = lockorder_held_locks(state)!
        return (0..<Int(state.pointee.depth)).reversed().map { snapshotLocked(held[$0]) }
    }

    /// One held entry as a report shows it.
    func snapshotLocked(_ entry: lockorder_held_lock) -> LockSnapshot {
        let record = registry.record(entry.class_id)
        let file = String(
            decoding: UnsafeBufferPointer(start: entry.file, count: Int(entry.file_length)), as: UTF8.self)
        return LockSnapshot(
            name: registry.name(of: entry.name_id, classID: entry.class_id), className: record.displayName,
            level: record.declared?.level, kind: LockKind(rawValue: entry.kind) ?? .mutex,
            declaredKind: record.declared?.kind,
            mode: entry.flags & UInt8(LOCKORDER_HELD_SHARED) != 0 ? .shared : .exclusive,
            orderKey: orderKeyLocked(of: entry),
            site: "\(file):\(entry.line)", tryLock: entry.flags & UInt8(LOCKORDER_HELD_TRYLOCK) != 0)
    }

    /// A lock being acquired, released or destroyed, as a report shows it.
    func snapshotLocked(_ identity: LockIdentity, mode: AccessMode, orderKey: UInt64?, site: SourceSite)
        -> LockSnapshot
    {
        let record = registry.record(identity.classID)
        return LockSnapshot(
            name: registry.name(of: identity.nameID, classID: identity.classID),
            className: record.displayName,
            level: record.declared?.level, kind: identity.kind, declaredKind: record.declared?.kind,
            mode: mode,
            orderKey: orderKeyLocked(orderKey, of: identity.id), site: "\(site)", tryLock: false)
    }

    /// A lock's instance-order key: the one passed with the acquisition, or else the one given
    /// to the lock (`LockOrder.setOrderKey`).
    func orderKeyLocked(_ passed: UInt64?, of lockID: UInt64) -> UInt64? {
        passed ?? orderKeys[lockID]
    }

    /// A held lock's instance-order key: the one recorded with the acquisition, or else the one
    /// given to the lock.
    func orderKeyLocked(of entry: lockorder_held_lock) -> UInt64? {
        entry.flags & UInt8(LOCKORDER_HELD_HAS_ORDER_KEY) != 0 ? entry.order_key : orderKeys[entry.lock_id]
    }

    // MARK: Reporting

    /// Runs a slow path: marks the thread as inside the checker (so nothing the checker does is
    /// checked) and holds the backtrace lock (so reports do not interleave).
    func slowPath<Result>(_ state: UnsafeMutablePointer<lockorder_thread_state>, _ body: () -> Result)
        -> Result
    {
        // Marked, so that nothing the checker does is checked; the mark's end writes the
        // output queued meanwhile, outside the backtrace lock.
        CheckerMark.inside { SlowPathLock.withLock(body) }
    }

    /// Deduplicates candidates found by a rule, and reports each new one in full. Must be called
    /// inside `slowPath` and outside `lock`.
    func report(_ candidates: [ViolationCandidate]) {
        let (admitted, locatesSource) = lock.withLock {
            (
                candidates.compactMap { candidate in
                    reporter.admitLocked(candidate.deduplicationKey).map { ($0, candidate) }
                },
                configuration.symbolizesSourceLocations
            )
        }
        for (index, candidate) in admitted {
            let backtrace = candidate.backtrace ?? Backtrace.capture()
            var cycle: [CycleEdge]?
            if let pending = candidate.cycle {
                cycle = pending.map { item in
                    var edge = item.edge
                    edge.frames = item.backtrace?.symbolicated(includingSourceLocations: locatesSource) ?? []
                    return edge
                }
            }
            let violation = Violation(
                kind: candidate.kind, message: candidate.message,
                thread: candidate.thread ?? ThreadIdentity.describeCurrent(),
                site: candidate.site, lock: candidate.lock, held: candidate.held, rule: candidate.rule,
                exception: candidate.exception, missingGuard: candidate.missingGuard,
                operation: candidate.operation, cycle: cycle, hint: candidate.hint,
                runtimeLocks: candidate.runtimeLocks,
                frames: backtrace.symbolicated(includingSourceLocations: locatesSource), count: 1,
                id: index + 1)
            let sinks = lock.withLock { reporter }
            let fileError = sinks.emit(violation)
            let isFirstLoss = lock.withLock {
                reporter.storeLocked(violation, at: index)
                return fileError != 0 && reporter.noteLostReportFileLineLocked()
            }
            if isFirstLoss { announceReportFileFailure(fileError) }
            if candidate.abortsAlways || lockorder_mode() == UInt8(LOCKORDER_MODE_ABORT) {
                let reason =
                    candidate.abortsAlways
                    ? "a certain self-deadlock: going on would hang" : "LOCKORDER_CHECK=abort"
                StandardError.write("lockorder: stopping the process after this report (\(reason))\n")
                ReportOutput.flushWaiting()
                abort()
            }
        }
    }

    /// The first line the report file did not take: said once, naming the file and the error;
    /// the exit summary counts every lost line.
    func announceReportFileFailure(_ error: Int32) {
        let path = lock.withLock { configuration.reportFile?.path } ?? "?"
        StandardError.write(
            TerminalText.line(
                "lockorder: LOCKORDER_REPORT_FILE '\(TerminalText.value(path))': "
                    + "\(OutputFileProblem(writeErrno: error).text); lines not written are counted in the exit summary"
            ))
    }

    /// Announces a capacity limit once, loudly.
    func announceCapacity(_ what: String, _ notice: String) {
        let isFirst = lock.withLock { reporter.noteCapacityLocked(what) }
        if isFirst { StandardError.write("lockorder: capacity: \(notice)\n") }
    }

    func noteHeldStackFull() {
        announceCapacity(
            "held locks per thread",
            "a thread holds more than \(LOCKORDER_HELD_CAPACITY) locks; further ones are not checked until "
                + "it releases some, every other check goes on")
    }

    // MARK: Exit

    /// Installs the process-exit hook once: held-at-exit for the exiting thread, then the summary
    /// line, the report file's summary and the graph file.
    func installExitHooksLocked() {
        guard !exitHooksInstalled else { return }
        exitHooksInstalled = true
        ThreadExit.installProcessExitHook()
    }

    func processWillExit() {
        if lockorder_mode() == 0 || lockorder_mode() == 0xFF { return }
        ThreadExit.checkCurrentThreadAtExit()
        // Under the backtrace lock, so that reports other threads are still printing finish
        // first and are counted.
        SlowPathLock.withLock { writeExitSummary() }
        // Nothing may stay queued when the process ends.
        ReportOutput.flushWaiting()
    }

    private func writeExitSummary() {
        let (printsSummary, distinct, notices, fileDescriptor, graphPath) = lock.withLock {
            (
                reporter.printsToStandardError, reporter.distinct.compactMap { $0 },
                reporter.capacityNotices, reporter.jsonFileDescriptor, configuration.graphFilePath
            )
        }
        // The report file's summary first, so that the line on stderr counts it if it is lost.
        if fileDescriptor >= 0 {
            let error = ReportEncoding.appendSummary(
                distinct: distinct, capacityNotices: notices, to: fileDescriptor)
            if error != 0 && lock.withLock({ reporter.noteLostReportFileLineLocked() }) {
                announceReportFileFailure(error)
            }
        }
        let summary = lock.withLock {
            reporter.summaryLineLocked(passedThrough: CheckerMark.passedThroughCount)
        }
        if let summary, printsSummary { StandardError.write(summary) }
        if let graphPath { writeGraphFile(to: graphPath) }
    }
}

/// A process-wide counter for lock ids: ids are never reused, so a destroyed lock's id cannot
/// be mistaken for a new lock's.
final class AtomicCounter: Sendable {
    private let value = Atomic<UInt64>(0)

    /// The next value, starting at 1.
    func next() -> UInt64 {
        value.wrappingAdd(1, ordering: .relaxed).newValue
    }
}
