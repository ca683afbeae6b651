import CLockOrderSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Everything the checker knows beyond the per-thread held stacks: classes and names, the
/// active hierarchy, the learned order, and what was reported.
///
/// The mutable tables live in `tables`, a ``LockedBox`` over a raw mutex that is never
/// reported. Lock order inside the checker: the slow-path lock (taken first by every slow path
/// that may report), then the tables' lock; nothing is waited for while the tables' lock is held:
/// it guards short work only.
final class CheckerState: @unchecked Sendable {
    static let shared = CheckerState()

    /// The tables every rule reads and writes, reachable only with their lock held.
    let tables = LockedBox(CheckerTables())

    private init() {
        // Before any thread can take the tables' lock: registration takes it without
        // configuring the checker, so installing the fork handlers at configuration left a
        // window in which a fork copied the lock held by another thread (the interposer's
        // fork scenario hung one run in fifteen).
        ForkHandlers.installOnce()
    }
    private let nextLockID = AtomicCounter()

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
        var warnings: [String] = []
        let identity = tables.withLock { tables -> LockIdentity in
            let key: ClassRegistry.Key
            switch lockClass {
            case .creationSite: key = .site(file: UInt(bitPattern: site.fileID.utf8Start), line: site.line)
            case .declared(let declaredName): key = .declared(declaredName)
            case .instance: key = .instance(id)
            }
            let classID =
                tables.registry.classID(
                    for: key,
                    displayName: Self.displayName(for: lockClass, name: name, id: id, site: site),
                    hierarchy: tables.hierarchy)
                ?? {
                    if tables.reporter.noteCapacity("lock classes") {
                        notices.append(
                            "the class table is full (\(LOCKORDER_CLASS_CAPACITY) classes); new classes share one "
                                + "unchecked class from now on, while every check on existing classes goes on"
                        )
                    }
                    return ClassRegistry.overflowClassID
                }()
            // A class's second lock ends its first lock's use as a gate: the chain caches, which
            // key by class, must let the sightings that follow narrow the edges' gates.
            if tables.gateCandidates.noteLock(id, classID: classID, isInstanceClass: lockClass == .instance) {
                lockorder_advance_graph_epoch()
            }
            let interned = tables.registry.nameID(for: name, site: site)
            let nameID = interned.id
            if interned.overflowed && tables.reporter.noteCapacity("lock names") {
                notices.append(
                    "the name table is full (\(ClassRegistry.nameCapacity) names); new locks show their "
                        + "class name in reports")
            }
            var optionBits: UInt8 = 0
            for option in options {
                if let bit = tables.registry.optionBit(for: option.rawValue, hierarchy: tables.hierarchy) {
                    optionBits |= bit
                }
            }
            if case .declared(let declaredName) = lockClass, classID != ClassRegistry.overflowClassID,
                let warning = tables.unknownDeclaredNameWarning(declaredName, classID: classID)
            {
                warnings.append(warning)
            }
            return LockIdentity(id: id, classID: classID, nameID: nameID, kind: kind, optionBits: optionBits)
        }
        for notice in notices { StandardError.write("lockorder: capacity: \(notice)\n") }
        for warning in warnings { StandardError.write(warning) }
        return identity
    }

    private static func displayName(for lockClass: LockClass, name: String?, id: UInt64, site: SourceSite)
        -> String
    {
        switch lockClass {
        // An interposed pthread lock's name already says where it was made (its site is a key).
        case .creationSite: name.map { site.isInterposed ? $0 : "\($0) (\(site))" } ?? "\(site)"
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
        registerForTasks(state)
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
        let (admitted, locatesSource) = tables.withLock { tables in
            (
                candidates.compactMap { candidate -> (Int, ViolationCandidate)? in
                    if tables.reporter.suppressions.suppressesLocked(candidate) { return nil }
                    return tables.reporter.admit(candidate.deduplicationKey).map { ($0, candidate) }
                },
                tables.configuration.sourceLocations
            )
        }
        for (index, candidate) in admitted {
            let backtrace = candidate.backtrace ?? Backtrace.capture()
            var cycle: [CycleEdge]?
            if let pending = candidate.cycle {
                cycle = pending.map { item in
                    var edge = item.edge
                    edge.frames = item.backtrace?.symbolicated(sourceLocations: locatesSource) ?? []
                    return edge
                }
            }
            // Where the reporting thread was made (not for a report about another thread).
            let creation = candidate.thread == nil ? ThreadCreation.current() : nil
            var violation = Violation(
                kind: candidate.kind, message: candidate.message,
                thread: candidate.thread ?? ThreadIdentity.describeCurrent(),
                site: candidate.site, lock: candidate.lock, held: candidate.held, rule: candidate.rule,
                exception: candidate.exception, missingGuard: candidate.missingGuard,
                operation: candidate.operation, cycle: cycle, hint: candidate.hint,
                runtimeLocks: candidate.runtimeLocks,
                frames: backtrace.symbolicated(sourceLocations: locatesSource), count: 1,
                id: index + 1)
            violation.createdBy = creation?.creator
            violation.creationFrames = creation?.backtrace.symbolicated(sourceLocations: locatesSource)
            let sinks = tables.withLock { $0.reporter }
            let fileError = sinks.emit(violation)
            let isFirstLoss = tables.withLock { tables in
                tables.reporter.store(violation, finding: candidate.finding, at: index)
                return fileError != 0 && tables.reporter.noteLostReportFileLine()
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
        let path = tables.withLock { $0.configuration.reportFile?.path } ?? "?"
        StandardError.write(
            TerminalText.line(
                "lockorder: LOCKORDER_REPORT_FILE '\(TerminalText.value(path))': "
                    + "\(OutputFileProblem(writeErrno: error).text); lines not written are counted in the exit summary"
            ))
    }

    /// Announces a capacity limit once, loudly.
    func announceCapacity(_ what: String, _ notice: String) {
        let isFirst = tables.withLock { $0.reporter.noteCapacity(what) }
        if isFirst { StandardError.write("lockorder: capacity: \(notice)\n") }
    }

    func noteHeldStackFull() {
        announceCapacity(
            "held locks per thread",
            "a thread holds more than \(LOCKORDER_HELD_CAPACITY) locks; further ones are not checked until "
                + "it releases some, every other check goes on")
    }

    // MARK: Exit

    func processWillExit() {
        if lockorder_mode() == UInt8(LOCKORDER_MODE_OFF)
            || lockorder_mode() == UInt8(LOCKORDER_MODE_UNCONFIGURED)
        {
            return
        }
        ReportOutput.beginEnding()
        ThreadExit.checkCurrentThreadAtExit()
        // Under the backtrace lock, so that reports other threads are still printing finish
        // first and are counted.
        SlowPathLock.withLock { writeExitSummary() }
        // Nothing may stay queued when the process ends.
        ReportOutput.flushWaiting()
        exitWithConfiguredCodeIfViolations()
    }

    /// LOCKORDER_EXITCODE: a report-mode run that reported a violation ends with the code given
    /// (ThreadSanitizer's `exitcode`), whatever status the program exited with. `_exit` from the
    /// exit hook skips the hooks not yet run, so C's buffered output is flushed first.
    private func exitWithConfiguredCodeIfViolations() {
        let (code, distinct) = tables.withLock { ($0.configuration.exitCode, $0.reporter.totals.distinct) }
        guard let code, distinct > 0, lockorder_mode() == UInt8(LOCKORDER_MODE_REPORT) else { return }
        fflush(nil)
        _exit(code)
    }

    private func writeExitSummary() {
        let (printsSummary, distinct, notices, fileDescriptor, graphPath) = tables.withLock { tables in
            (
                tables.reporter.printsToStandardError, tables.reporter.distinct.compactMap { $0 },
                tables.reporter.capacityNotices, tables.reporter.jsonFileDescriptor,
                tables.configuration.graphFilePath
            )
        }
        // The statistics before the summary, which closes a run's lines in the report file.
        if lockorder_timing() & UInt8(LOCKORDER_TIMING_STATS) != 0 {
            writeStatistics(printing: printsSummary, fileDescriptor: fileDescriptor)
        }
        // The report file's summary first, so that the line on stderr counts it if it is lost.
        if fileDescriptor >= 0 {
            let error = ReportEncoding.appendSummary(
                distinct: distinct, capacityNotices: notices, to: fileDescriptor)
            if error != 0 && tables.withLock({ $0.reporter.noteLostReportFileLine() }) {
                announceReportFileFailure(error)
            }
        }
        let summary = tables.withLock {
            $0.reporter.summaryLine(passedThrough: CheckerMark.passedThroughCount)
                ?? Reporter.cleanRunLine(classes: $0.registry.classesMade, orders: $0.learned.ordersLearned)
        }
        let serialised = tables.withLock {
            Reporter.serialisedCyclesLine($0.learned.serialisedCycles + $0.instances.serialisedCycles)
        }
        if printsSummary {
            StandardError.write(summary)
            if let serialised { StandardError.write(TerminalText.line(serialised)) }
        }
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
