import LockCore
import LockOrderTestSupport
import Synchronization
import Testing

@testable import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// A program that drains its own stderr through a pipe, in a thread that takes checked locks,
/// does not deadlock on a report larger than the pipe (docs/architecture.md, "Output").
@Suite("Blocking stderr", .serialized)
struct BlockingStandardErrorTests {
    @Test(
        "a report larger than the pipe, drained by a thread that takes checked locks: no deadlock, all of it arrives"
    )
    func drainingThreadTakesCheckedLocks() async {
        let result = await #expect(
            processExitsWith: .success, observing: [\.standardErrorContent],
            "the report's writer and the draining thread deadlocked (SIGALRM after 20 s)"
        ) {
            endProcessIfStillRunning(afterSeconds: 20)
            checkInReportModeOnStandardErrorOnly()
            let drain = StandardErrorDrain.start()
            // A report of about 60 KB: a long name appears in several of its lines.
            let loose = CheckedMutex(String(repeating: "n", count: 20_000))
            loose.unlockFromAsync()  // the exit test's body is async
            let received = drain.finish()
            let line = "drained \(received > 40_000 ? "all" : "too little")\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
            exit(0)
        }
        let standardError = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(standardError.contains("drained all\n"), "\(standardError.suffix(300))")
    }

    @Test(
        "the watchdog's report larger than the pipe, drained by a thread that takes checked locks: no deadlock"
    )
    func watchdogReportDrainedByCheckedThread() async {
        let result = await #expect(
            processExitsWith: .success, observing: [\.standardErrorContent],
            "the watchdog wrote while holding the slow-path lock that the draining thread needs (SIGALRM after 20 s)"
        ) {
            endProcessIfStillRunning(afterSeconds: 20)
            checkInReportModeOnStandardErrorOnly()
            setenv("LOCKORDER_WATCHDOG", "0.05", 1)
            setenv("LOCKORDER_WAIT_WARN", "0.2", 1)
            let drain = StandardErrorDrain.start()
            // A long wait whose report is about 80 KB: the lock's long name is in several lines.
            let contended = CheckedMutex(String(repeating: "w", count: 20_000))
            contended.lockFromAsync()
            let waiter = TestThread { contended.withLock {} }
            let received = drain.finish()
            contended.unlockFromAsync()
            waiter.join()
            let line = "drained \(received > 40_000 ? "all" : "too little")\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
            exit(0)
        }
        let standardError = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(standardError.contains("drained all\n"), "\(standardError.suffix(300))")
    }

    @Test("exit while a report's writer is stuck on a pipe nobody reads: the process still exits")
    func exitWhileWriterIsStuck() async {
        await #expect(
            processExitsWith: .success,
            "exit waited forever for the writer stuck on stderr (SIGALRM after 20 s)"
        ) {
            endProcessIfStillRunning(afterSeconds: 20)
            checkInReportModeOnStandardErrorOnly()
            _ = StandardErrorDrain.redirectIntoUnreadPipe()
            // A report of about 60 KB: its writer fills the pipe and blocks, holding the writer lock.
            _ = TestThread {
                let loose = CheckedMutex(String(repeating: "n", count: 20_000))
                loose.unlock()
            }
            usleep(300_000)
            exit(0)
        }
    }

    @Test("exit with stderr's pipe already full: the exit summary is given up, the process still exits")
    func exitWithFullPipe() async {
        await #expect(
            processExitsWith: .success,
            "exit waited forever to write the exit summary to a full pipe (SIGALRM after 20 s)"
        ) {
            endProcessIfStillRunning(afterSeconds: 20)
            checkInReportModeOnStandardErrorOnly()
            let writeEnd = StandardErrorDrain.redirectIntoUnreadPipe()
            // The program's own output fills the pipe; unchecked, it would now exit at once.
            let flags = fcntl(writeEnd, F_GETFL)
            _ = fcntl(writeEnd, F_SETFL, flags | O_NONBLOCK)
            let page = [UInt8](repeating: 0x2e, count: 4096)
            while write(writeEnd, page, page.count) > 0 {}
            _ = fcntl(writeEnd, F_SETFL, flags)
            let lock = CheckedMutex("checked")
            lock.lockFromAsync()
            lock.unlockFromAsync()
            exit(0)
        }
    }
}

/// Standard error redirected into a one-page pipe that a thread drains, taking checked locks
/// between reads (a new chain each time: the checker's slow path, which waits for the slow-path
/// lock if a blocked writer holds it).
struct StandardErrorDrain {
    /// What the draining thread has seen so far.
    final class Progress: Sendable {
        let received = Atomic<Int>(0)
        let sawHint = Atomic<Bool>(false)
    }

    let savedError: Int32
    let progress: Progress
    let drainer: TestThread

    /// Redirects standard error into a one-page pipe whose read end stays open and is never
    /// read; answers the write end (standard error).
    static func redirectIntoUnreadPipe() -> Int32 {
        var ends: [Int32] = [0, 0]
        _ = pipe(&ends)
        _ = fcntl(ends[1], 1031, 4096)  // F_SETPIPE_SZ: a one-page pipe
        dup2(ends[1], 2)
        close(ends[1])
        return 2
    }

    /// Redirects standard error and starts the draining thread, which reads to the pipe's end.
    static func start() -> StandardErrorDrain {
        let savedError = dup(2)
        var ends: [Int32] = [0, 0]
        _ = pipe(&ends)
        _ = fcntl(ends[1], 1031, 4096)  // F_SETPIPE_SZ: a one-page pipe
        dup2(ends[1], 2)
        close(ends[1])
        let readEnd = ends[0]
        let progress = Progress()
        let drainer = TestThread {
            var buffer = [UInt8](repeating: 0, count: 1024)
            var text: [UInt8] = []
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count <= 0 { break }
                text += buffer[0..<count]
                progress.received.store(text.count, ordering: .relaxed)
                checkerSlowPathRound()
                if !progress.sawHint.load(ordering: .relaxed) {
                    let lines = String(decoding: text, as: UTF8.self).split(
                        separator: "\n", omittingEmptySubsequences: false)
                    if lines.dropLast().contains(where: { $0.hasPrefix("  hint: ") }) {
                        progress.sawHint.store(true, ordering: .relaxed)
                    }
                }
            }
        }
        return StandardErrorDrain(savedError: savedError, progress: progress, drainer: drainer)
    }

    /// Waits until the report's last section (its hint) has begun to arrive, puts standard
    /// error back (the write in progress then holds the pipe's last write end, so the drainer
    /// sees the pipe's end just after the report's last byte), and answers how many bytes came.
    func finish() -> Int {
        while !progress.sawHint.load(ordering: .relaxed) { usleep(1000) }
        dup2(savedError, 2)
        drainer.join()
        return progress.received.load(ordering: .relaxed)
    }
}
