import LockCore
import LockOrderTestSupport
import Testing

@testable import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// The locks the signal handlers of these tests take (a handler cannot capture).
enum SignalTestLocks {
    static let outer = CheckedMutex("signal outer")
    static let inner = CheckedSpinLock("signal inner")
}

/// A signal handler that takes and releases a checked lock; while `outer` is held this is a
/// new chain, which goes to the checker's slow path unless the thread is inside the checker.
private func takeInnerLock(_: Int32) {
    SignalTestLocks.inner.lock()
    SignalTestLocks.inner.unlock()
    // A lock made and destroyed in the handler: registration and destruction take no checker lock.
    let made = CheckedSpinLock("made in handler", class: .instance)
    made.lock()
    made.unlock()
}

/// Installs `takeInnerLock` for SIGUSR2 and unblocks the signal on the calling thread (the
/// test's thread may have it blocked).
func installTakeInnerLock() {
    signal(SIGUSR2, takeInnerLock)
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGUSR2)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
}

/// A signal handler that interrupts the checker and takes a checked lock is passed through,
/// not hung on, and counted (docs/architecture.md, "Signals"). Each case runs in a child process
/// that stops itself with SIGALRM after 10 seconds, so a hang fails the test.
@Suite("Signal handlers", .serialized)
struct SignalHandlerTests {
    static func standardError(_ result: ExitTest.Result?) -> String {
        let bytes = result?.standardErrorContent ?? []
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test(
        "a handler taking a checked lock while its thread holds the checker's state lock: passed through, counted"
    )
    func handlerInsideTheChecker() async {
        let result = await #expect(
            processExitsWith: .success, observing: [\.standardErrorContent],
            "the handler hung on the checker's lock (killed by SIGALRM after 10 s)"
        ) {
            endProcessIfStillRunning(afterSeconds: 10)
            checkInReportModeOnStandardErrorOnly()
            installTakeInnerLock()
            // Made before: a lazy global's first use in the handler would create it there.
            _ = SignalTestLocks.inner
            // The exit test's body is async: the lock calls are the FromAsync escapes.
            SignalTestLocks.outer.lockFromAsync()
            // As if the signal arrived while the thread registers a lock or configures checking.
            CheckerState.shared.tables.withLock { _ in _ = raise(SIGUSR2) }
            SignalTestLocks.outer.unlockFromAsync()
            exit(0)
        }
        #expect(
            Self.standardError(result)
                == "lockorder: 0 distinct violations, 0 occurrences; 2 acquisitions passed through unchecked "
                + "inside the checker (signal handlers)\n")
    }

    @Test("a handler taking a checked lock outside the checker is checked as usual and nothing is counted")
    func handlerOutsideTheChecker() async {
        let result = await #expect(
            processExitsWith: .success, observing: [\.standardErrorContent], "killed by SIGALRM after 10 s"
        ) {
            endProcessIfStillRunning(afterSeconds: 10)
            checkInReportModeOnStandardErrorOnly()
            installTakeInnerLock()
            // The exit test's body is async: the lock calls are the FromAsync escapes.
            SignalTestLocks.outer.lockFromAsync()
            _ = raise(SIGUSR2)
            SignalTestLocks.outer.unlockFromAsync()
            // The handler's order (outer, then inner) was learned: the reverse is a cycle.
            SignalTestLocks.inner.lockFromAsync()
            // The exit test's body is async: the lock calls are the FromAsync escapes.
            SignalTestLocks.outer.lockFromAsync()
            SignalTestLocks.outer.unlockFromAsync()
            SignalTestLocks.inner.unlockFromAsync()
            exit(0)
        }
        let lines = Self.standardError(result).split(separator: "\n")
        #expect(
            lines.first?.hasPrefix(
                "lockorder: order cycle: acquiring signal outer while holding signal inner") == true)
        #expect(lines.last == "lockorder: 1 distinct violation, 1 occurrence")
    }

    @Test(
        "a report made inside a signal handler starts no symbolizer; the same report outside one does",
        .enabled(if: llvmSymbolizerIsOnPath, "needs llvm-symbolizer on PATH"))
    func reportInsideAHandlerStartsNoSymbolizer() async {
        let result = await #expect(
            processExitsWith: .success, observing: [\.standardErrorContent], "killed by SIGALRM after 10 s"
        ) {
            endProcessIfStillRunning(afterSeconds: 10)
            checkInReportModeOnStandardErrorOnly()
            unsetenv("LOCKORDER_SYMBOLIZE")
            installTakeInnerLock()
            // inner, then outer: learned. The handler then takes inner while outer is held.
            SignalTestLocks.inner.lockFromAsync()
            SignalTestLocks.outer.lockFromAsync()
            SignalTestLocks.outer.unlockFromAsync()
            SignalTestLocks.inner.unlockFromAsync()
            SignalTestLocks.outer.lockFromAsync()
            _ = raise(SIGUSR2)
            SignalTestLocks.outer.unlockFromAsync()
            let inHandler = SourceLocator.startedProcessCount.load(ordering: .relaxed)
            // The same cycle outside a handler: a new report (another site), which starts one.
            SignalTestLocks.outer.lockFromAsync()
            SignalTestLocks.inner.lockFromAsync()
            SignalTestLocks.inner.unlockFromAsync()
            SignalTestLocks.outer.unlockFromAsync()
            let outside = SourceLocator.startedProcessCount.load(ordering: .relaxed)
            let summary = "started: \(inHandler) in the handler, \(outside) after\n"
            _ = summary.withCString { write(2, $0, strlen($0)) }
            exit(0)
        }
        let standardError = Self.standardError(result)
        #expect(standardError.contains("started: 0 in the handler, 1 after\n"), "\(standardError)")
        let reports = standardError.components(separatedBy: "\nlockorder: order cycle: ")
        #expect(reports.count == 2, "two reports: \(standardError)")
        #expect(
            reports[0].hasPrefix("lockorder: order cycle: acquiring signal inner while holding signal outer"))
        #expect(!hasLocatedFrame(reports[0]), "no locations inside the handler: \(reports[0])")
        #expect(hasLocatedFrame(reports[1]), "locations outside it: \(reports[1])")
    }
}
