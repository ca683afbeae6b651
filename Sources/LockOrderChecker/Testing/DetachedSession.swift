import CLockOrderSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension LockOrder {
    /// A checking session that is not bound to a thread: started by one call and ended by
    /// another, possibly on other threads, for async tests and test-framework traits
    /// (`LockOrderTesting`'s `.lockOrderChecked`). `withChecking` is the closure form for
    /// synchronous code.
    ///
    /// A session has the same rules as `withChecking`'s: one at a time in the process, a clean
    /// slate (or the learned order it was given), locks never held across its start or end,
    /// everything the process does while it runs checked and reported into it. `begin` never
    /// blocks: it answers nil while another session runs, and the caller waits its own way
    /// (an async caller sleeps and tries again). A `withChecking` called from the task that
    /// runs the body of `run(_:)` joins this session; one called from elsewhere waits for it to
    /// end.
    public final class Session: @unchecked Sendable {
        // @unchecked: `saved` is written once in `begin` and read once, by the `end` call that
        // wins the `ended` exchange.
        private let saved: CheckingSession
        private let token: UInt64
        private let ended = Atomic<Bool>(false)

        private init(saved: CheckingSession, token: UInt64) {
            self.saved = saved
            self.token = token
        }

        /// Starts a session, or answers nil at once when another one is running.
        ///
        /// - Parameters:
        ///   - hierarchy: the declared hierarchy to enforce.
        ///   - learnsOrder: whether the learned order graph is on.
        ///   - printsReports: print each report on stderr too.
        ///   - learned: the learned order to start from (what an earlier session's `end`
        ///     returned), so that a suite can learn across its tests; nil starts with nothing
        ///     learned.
        public static func begin(
            hierarchy: LockHierarchy = .julia, learnsOrder: Bool = true, printsReports: Bool = false,
            resuming learned: LearnedState? = nil
        ) -> Session? {
            guard CheckingSession.lock.tryLock() else { return nil }
            defer { CheckingSession.lock.unlock() }
            guard CheckingSession.detachedOwner.load(ordering: .acquiring) == 0 else { return nil }
            let token = CheckingSession.nextToken.wrappingAdd(1, ordering: .relaxed).newValue
            CheckingSession.detachedOwner.store(token, ordering: .releasing)
            let checker = CheckerState.shared
            if lockorder_mode() == UInt8(LOCKORDER_MODE_UNCONFIGURED) { checker.configureFromEnvironment() }
            let saved = checker.beginSession(
                hierarchy: hierarchy, learnsOrder: learnsOrder, printsReports: printsReports,
                resuming: learned?.order)
            return Session(saved: saved, token: token)
        }

        /// Runs `body` as part of this session: a `withChecking` inside it joins the session
        /// instead of waiting for it to end.
        public func run<Result>(
            isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Result
        ) async rethrows -> Result {
            try await CheckingSession.$currentToken.withValue(token, operation: body)
        }

        /// What the session has reported so far, in the order first seen.
        public var violations: [Violation] {
            let checker = CheckerState.shared
            return SlowPathLock.withLock {
                checker.tables.withLock { $0.reporter.distinct.compactMap { $0 } }
            }
        }

        /// Ends the session: restores what was configured before it and answers what it reported
        /// and the order it learned. Ending it again answers nothing and changes nothing.
        public func end() -> (violations: [Violation], learned: LearnedState) {
            guard !ended.exchange(true, ordering: .acquiringAndReleasing) else {
                return ([], LearnedState(order: ClassOrderGraph()))
            }
            let (reported, learned) = CheckerState.shared.endSession(restoring: saved)
            let violations = reported.map { $0.violation }
            CheckingSession.detachedOwner.store(0, ordering: .releasing)
            return (violations, LearnedState(order: learned))
        }
    }

    /// The order a session learned, to start a later session from (a suite learning across
    /// its tests). Opaque: its contents are the checker's.
    public struct LearnedState: @unchecked Sendable {
        // @unchecked: a value type that the checker copies in and out under its lock.
        let order: ClassOrderGraph
    }
}

extension CheckingSession {
    /// The token of the running detached session, 0 when none.
    static let detachedOwner = Atomic<UInt64>(0)
    /// Source of detached session tokens (never 0).
    static let nextToken = Atomic<UInt64>(0)
    /// The detached session whose `run` body this task is in, 0 when none.
    @TaskLocal static var currentToken: UInt64 = 0

    /// Called by `withChecking` with the session lock held: whether a detached session is
    /// running that this task belongs to (join it), after waiting for any other one to end.
    static func joinsDetachedSession() -> Bool {
        while true {
            let owner = detachedOwner.load(ordering: .acquiring)
            if owner == 0 { return false }
            if owner == currentToken { return true }
            // A detached session of another task: it ends without this lock, so wait for it.
            usleep(1000)
        }
    }
}
