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

    /// How long the end of the process waits for stderr to take anything. A writer blocked on
    /// a pipe nobody reads any more (the program's own drainer stopped, a parent that reads only
    /// after the child exits) would otherwise keep a program that exits unchecked from exiting;
    /// after this long without a byte taken, what is left is given up.
    static let stallLimitMilliseconds: Int32 = 2000

    /// Bytes written so far: a thread waiting for the writer sees it make progress.
    private static let bytesWritten = Atomic<Int>(0)

    /// Set when the process has begun to end (exit, abort): from then on every write gives up
    /// on a stall.
    private static let isEnding = Atomic<Bool>(false)

    /// The process is ending: writes from now on give up when stderr stalls (the exit summary
    /// and anything else written on the way out).
    package static func beginEnding() {
        isEnding.store(true, ordering: .relaxed)
    }

    /// Writes everything queued, waiting for a thread that is writing: before the process
    /// stops (abort mode, a certain self-deadlock) or exits, when nothing may stay queued. Gives
    /// up when stderr takes nothing for `stallLimitMilliseconds`.
    package static func flushWaiting() {
        beginEnding()
        var written = bytesWritten.load(ordering: .relaxed)
        var waited: Int32 = 0
        while !writerLock.tryLock() {
            let now = bytesWritten.load(ordering: .relaxed)
            if now != written {
                (written, waited) = (now, 0)
            } else if waited >= stallLimitMilliseconds {
                return  // the writing thread is stuck on stderr: it keeps its text
            }
            usleep(1000)
            waited += 1
        }
        drainHoldingWriterLock()
        writerLock.unlock()
    }

    /// Writes batches until the queue is empty. Once the process is ending, stops when stderr
    /// takes nothing for `stallLimitMilliseconds` (what is left is dropped).
    private static func drainHoldingWriterLock() {
        while true {
            let batch = underQueueLock { () -> [String] in
                let taken = pending
                pending = []
                pendingCount.store(0, ordering: .releasing)
                return taken
            }
            if batch.isEmpty { return }
            for text in batch {
                guard writeInPages(text, givingUpOnStall: isEnding.load(ordering: .relaxed)) else { return }
            }
        }
    }

    /// Writes `text` to stderr a page at a time, counting the bytes as they go; answers false
    /// when it gave up on a stall (or stderr failed).
    private static func writeInPages(_ text: String, givingUpOnStall: Bool) -> Bool {
        var text = text
        return text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                if givingUpOnStall {
                    // A pipe that polls writable has a page free, so a write of at most a page
                    // (PIPE_BUF: all or nothing) does not block.
                    var descriptor = pollfd(fd: 2, events: Int16(POLLOUT), revents: 0)
                    let ready = poll(&descriptor, 1, stallLimitMilliseconds)
                    if ready < 0 && errno == EINTR { continue }
                    guard ready > 0 else { return false }
                }
                let page = UnsafeBufferPointer(
                    rebasing: buffer[offset..<min(buffer.count, offset + Int(PIPE_BUF))])
                guard writeAll(fileDescriptor: 2, page) == 0 else { return false }
                offset += page.count
                bytesWritten.wrappingAdd(page.count, ordering: .relaxed)
            }
            return true
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
