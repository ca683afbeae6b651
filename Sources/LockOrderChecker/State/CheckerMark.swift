import CLockOrderSupport
import Synchronization

/// The in-checker mark: set on a thread for as long as it holds any of the checker's own locks
/// (the state lock, the backtrace lock, the symbolizer's cache lock) or runs a slow path.
///
/// A signal handler that interrupts such a thread and takes a checked lock must not run the
/// checker: it would take a lock its own thread already holds and hang (pthread mutexes are not
/// re-entrant, nor async-signal-safe). With the mark set, the thread's gate is closed and every
/// lock call the handler makes is passed through unchecked (the raw lock is still taken); each
/// acquisition passed through is counted, and the exit summary says how many there were.
enum CheckerMark {
    /// Acquisitions passed through unchecked because their thread was inside the checker.
    private static let passedThrough = Atomic<Int>(0)

    /// Runs `body` with the calling thread marked as inside the checker. Leaving the outermost
    /// mark writes the output queued meanwhile (`ReportOutput`): no checker lock is held then.
    @inline(__always)
    static func inside<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result
    {
        let state = lockorder_current_thread_state()!
        state.pointee.in_checker += 1
        state.pointee.gate = 0  // closed: the next lock call takes the slow way and sees the mark
        defer {
            state.pointee.in_checker -= 1
            if state.pointee.in_checker == 0 && ReportOutput.hasPending { ReportOutput.flush() }
        }
        return try body()
    }

    /// Counts an acquisition the checker did not look at because its thread was inside the
    /// checker (a signal handler, in practice). Called when the gate stayed closed.
    static func notePassedThrough() {
        let state = lockorder_current_thread_state()!
        if state.pointee.in_checker != 0 && lockorder_mode() != UInt8(LOCKORDER_MODE_OFF)
            && lockorder_mode() != UInt8(LOCKORDER_MODE_UNCONFIGURED)
        {
            passedThrough.wrappingAdd(1, ordering: .relaxed)
        }
    }

    /// Whether the calling thread is inside the checker: it may hold the checker's locks, so
    /// nothing may take them (a signal handler's lock creation, destruction or order key is
    /// passed through then).
    static var isInside: Bool {
        lockorder_current_thread_state()!.pointee.in_checker != 0
    }

    /// How many acquisitions were passed through so far.
    static var passedThroughCount: Int { passedThrough.load(ordering: .relaxed) }
}
