import CLockOrderSupport

/// Checking without the environment, for test suites (ours and users').
extension LockOrderChecker {
    /// Runs `body` with checking on and returns the distinct violations it produced, with their
    /// counts, so a suite can assert "no lock-order violations" or a specific report.
    ///
    /// Sessions are serialized process-wide, and each starts from a clean slate: nothing learned,
    /// nothing reported, no locks held. Locks must not be held across the start or end of a
    /// session (they would be unknown to it). Reports are not printed unless `printsReports`;
    /// the process is not stopped after them, except after a certain self-deadlock, which would
    /// hang (test that in a child process). Whatever was configured before is restored after.
    ///
    /// - Parameters:
    ///   - hierarchy: the declared hierarchy to enforce.
    ///   - learnsOrder: whether the learned order graph is on.
    ///   - printsReports: print each report on stderr too.
    public static func withChecking(
        hierarchy: LockHierarchy = .julia, learnsOrder: Bool = true, printsReports: Bool = false,
        _ body: () throws -> Void
    ) rethrows -> [Violation] {
        let checker = CheckerState.shared
        CheckingSession.lock.lock()
        defer { CheckingSession.lock.unlock() }
        if lockorder_mode() == UInt8(LOCKORDER_MODE_UNCONFIGURED) { checker.configureFromEnvironment() }
        let saved = checker.beginSession(
            hierarchy: hierarchy, learnsOrder: learnsOrder, printsReports: printsReports)
        defer { checker.endSession(restoring: saved) }
        try body()
        return checker.lock.withLock { checker.reporter.distinct.compactMap { $0 } }
    }
}

/// The checker's configuration saved across a test session.
struct CheckingSession {
    static let lock = RawMutex()

    var mode: UInt8
    var learning: UInt8
    var hierarchy: LockHierarchy
    var reporter: Reporter
    var learned: LearnedOrder
}

extension CheckerState {
    func beginSession(hierarchy newHierarchy: LockHierarchy, learnsOrder: Bool, printsReports: Bool)
        -> CheckingSession
    {
        lock.withLock {
            let saved = CheckingSession(
                mode: lockorder_mode(), learning: lockorder_learning(), hierarchy: hierarchy,
                reporter: reporter,
                learned: learned)
            hierarchy = newHierarchy
            registry.resolveLocked(against: newHierarchy)
            reporter = Reporter()
            reporter.printsToStandardError = printsReports
            learned.resetLocked()
            lockorder_set_learning(learnsOrder ? 1 : 0)
            lockorder_advance_epoch()
            lockorder_set_mode(UInt8(LOCKORDER_MODE_REPORT))
            return saved
        }
    }

    func endSession(restoring saved: CheckingSession) {
        lock.withLock {
            hierarchy = saved.hierarchy
            registry.resolveLocked(against: saved.hierarchy)
            reporter = saved.reporter
            learned = saved.learned
            lockorder_advance_graph_epoch()
            lockorder_set_learning(saved.learning)
            lockorder_advance_epoch()
            lockorder_set_mode(saved.mode)
        }
    }
}
