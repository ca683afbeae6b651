import CLockOrderSupport
import Synchronization

/// Checking without the environment, for test suites (ours and users').
extension LockOrder {
    /// Runs `body` with checking on and returns the distinct violations it produced, with their
    /// counts, so a suite can assert "no lock-order violations" or a specific report.
    ///
    /// Sessions are serialized process-wide, and each starts from a clean slate: nothing learned,
    /// nothing reported, no locks held. Checking is process-wide while a session runs: what
    /// other threads do is checked and reported into it too, so run suites that use sessions
    /// serially (`swift test --no-parallel`). Locks must not be held across the start or end
    /// of a session: a lock taken before it starts is unknown to it, and its release inside the
    /// session is reported as a release of a lock not held (and not performed). Reports are not
    /// printed unless `printsReports`; the process is not stopped after them, except after a
    /// certain self-deadlock, which would hang (test that in a child process). Whatever was
    /// configured before is restored after. A session started inside a session on the same
    /// thread joins it (its own parameters are ignored) and returns what was reported during
    /// its body.
    ///
    /// - Parameters:
    ///   - hierarchy: the declared hierarchy to enforce.
    ///   - learnsOrder: whether the learned order graph is on.
    ///   - printsReports: print each report on stderr too.
    public static func withChecking(
        hierarchy: LockHierarchy = .julia, learnsOrder: Bool = true, printsReports: Bool = false,
        _ body: () throws -> Void
    ) rethrows -> [Violation] {
        try withCheckingFindings(
            hierarchy: hierarchy, learnsOrder: learnsOrder, printsReports: printsReports, body
        ).map { $0.violation }
    }

    /// `withChecking`, with what each rule decided beside its report: for this package's rule
    /// tests, which assert decisions (the finding) apart from words (the report's text).
    package static func withCheckingFindings(
        hierarchy: LockHierarchy = .julia, learnsOrder: Bool = true, printsReports: Bool = false,
        _ body: () throws -> Void
    ) rethrows -> [(violation: Violation, finding: Finding?)] {
        let checker = CheckerState.shared
        let me = ThreadIdentity.current
        func join(_ body: () throws -> Void) rethrows -> [(violation: Violation, finding: Finding?)] {
            let first = checker.tables.withLock { $0.reporter.distinct.count }
            try body()
            return SlowPathLock.withLock {
                checker.tables.withLock { tables in
                    tables.reporter.reported(from: first)
                }
            }
        }
        // Nested on this thread: join the running session.
        if CheckingSession.owner.load(ordering: .relaxed) == me { return try join(body) }
        CheckingSession.lock.lock()
        if CheckingSession.joinsDetachedSession() {
            // Inside the body of a `Session.run` (a test trait's session): join it.
            CheckingSession.lock.unlock()
            return try join(body)
        }
        CheckingSession.owner.store(me, ordering: .relaxed)
        defer {
            CheckingSession.owner.store(0, ordering: .relaxed)
            CheckingSession.lock.unlock()
        }
        if lockorder_mode() == UInt8(LOCKORDER_MODE_UNCONFIGURED) { checker.configureFromEnvironment() }
        let saved = checker.beginSession(
            hierarchy: hierarchy, learnsOrder: learnsOrder, printsReports: printsReports)
        do {
            try body()
        } catch {
            _ = checker.endSession(restoring: saved)
            throw error
        }
        return checker.endSession(restoring: saved).reported
    }
}

extension LockOrder {
    /// The warnings that are not violations said so far in the running session (or the
    /// process), each once: a declared name the active hierarchy does not have. For this
    /// package's tests.
    package static func warningsSoFar() -> [String] {
        CheckerState.shared.tables.withLock { $0.reporter.warnings }
    }
}

/// The checker's configuration saved across a test session.
struct CheckingSession {
    static let lock = RawMutex()
    /// The serial of the thread running a session, 0 when none.
    static let owner = Atomic<UInt64>(0)

    var mode: UInt8
    var learning: UInt8
    var hierarchy: LockHierarchy
    var reporter: Reporter
    var learned: ClassOrderGraph
}

extension CheckerState {
    /// Starts a session. Under the backtrace lock first, as every slow path, so that a report
    /// still being produced for the previous configuration finishes before it is replaced.
    func beginSession(
        hierarchy newHierarchy: LockHierarchy, learnsOrder: Bool, printsReports: Bool,
        resuming resumed: ClassOrderGraph? = nil
    ) -> CheckingSession {
        SlowPathLock.withLock {
            tables.withLock { tables in
                let saved = CheckingSession(
                    mode: lockorder_mode(), learning: lockorder_learning(), hierarchy: tables.hierarchy,
                    reporter: tables.reporter,
                    learned: tables.learned)
                tables.hierarchy = newHierarchy
                tables.registry.resolve(against: newHierarchy)
                tables.reporter = Reporter()
                tables.reporter.printsToStandardError = printsReports
                tables.learned.reset()
                tables.instances = InstanceOrderGraph()
                if let resumed { tables.learned = resumed }
                lockorder_set_learning(learnsOrder ? 1 : 0)
                lockorder_advance_epoch()
                lockorder_set_mode(UInt8(LOCKORDER_MODE_REPORT))
                return saved
            }
        }
    }

    /// Ends a session, after any report still being produced for it (see `beginSession`), and
    /// returns what the session reported (each report with its finding) and the order it learned.
    func endSession(restoring saved: CheckingSession)
        -> (reported: [(violation: Violation, finding: Finding?)], learned: ClassOrderGraph)
    {
        SlowPathLock.withLock {
            tables.withLock { tables in
                let reported = tables.reporter.reported(from: 0)
                let learnedInSession = tables.learned
                tables.hierarchy = saved.hierarchy
                tables.registry.resolve(against: saved.hierarchy)
                tables.reporter = saved.reporter
                tables.learned = saved.learned
                tables.instances = InstanceOrderGraph()
                lockorder_advance_graph_epoch()
                lockorder_set_learning(saved.learning)
                lockorder_advance_epoch()
                lockorder_set_mode(saved.mode)
                return (reported, learnedInSession)
            }
        }
    }
}
