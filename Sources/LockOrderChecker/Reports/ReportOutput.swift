import CLockOrderSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The checker's stderr output, written outside every lock that lock-taking code waits on
/// (docs/architecture.md, "Output").
///
/// Text is queued in the order it was produced (reports are produced under the backtrace lock,
/// so that order is the report order), and written when the producing thread leaves the
/// checker: at the outermost exit of the in-checker mark (`CheckerMark`), or at once by a thread
/// outside it. One thread writes at a time, holding the writer lock, and drains the queue,
/// each item whole: reports never interleave. Lock-taking code only ever *tries* the writer
/// lock; a thread that finds it taken leaves its text to the writer, which re-checks the queue
/// after letting go. So a program whose own thread drains stderr through a pipe, and takes
/// checked locks while doing it, never waits for a writer blocked on that pipe.
package enum ReportOutput {
    /// Guards `pending`; held for an append or a take only, never during a write.
    private static let queueLock = RawMutex()
    /// Held by the one thread writing.
    private static let writerLock = RawMutex()
    nonisolated(unsafe) private static var pending: [String] = []
    private static let pendingCount = Atomic<Int>(0)

    /// Whether text waits to be written.
    static var hasPending: Bool { pendingCount.load(ordering: .acquiring) > 0 }

    /// Queues `text`; writes it now when the calling thread is not inside the checker.
    package static func write(_ text: String) {
        underQueueLock {
            pending.append(text)
            pendingCount.wrappingAdd(1, ordering: .releasing)
        }
        if lockorder_current_thread_state()!.pointee.in_checker == 0 { flush() }
    }

    /// Writes what is queued, unless another thread is writing (it then writes this too).
    package static func flush() {
        while hasPending {
            guard writerLock.tryLock() else { return }
            drainHoldingWriterLock()
            writerLock.unlock()
            // Text queued by a thread that found the writer lock taken after the last take is
            // seen by the loop's check.
        }
    }

    /// Writes everything queued, waiting for a thread that is writing: before the process
    /// stops (abort mode, a certain self-deadlock) or exits, when nothing may stay queued.
    package static func flushWaiting() {
        writerLock.lock()
        drainHoldingWriterLock()
        writerLock.unlock()
    }

    private static func drainHoldingWriterLock() {
        while true {
            let batch = underQueueLock { () -> [String] in
                let taken = pending
                pending = []
                pendingCount.store(0, ordering: .releasing)
                return taken
            }
            if batch.isEmpty { return }
            for text in batch { StandardError.writeNow(text) }
        }
    }

    /// Runs `body` holding the queue lock, marked as inside the checker (a signal handler that
    /// reports must not wait for it) but without the mark's flush on exit.
    private static func underQueueLock<Result>(_ body: () -> Result) -> Result {
        let state = lockorder_current_thread_state()!
        state.pointee.in_checker += 1
        state.pointee.gate = 0
        defer { state.pointee.in_checker -= 1 }
        queueLock.lock()
        defer { queueLock.unlock() }
        return body()
    }
}
