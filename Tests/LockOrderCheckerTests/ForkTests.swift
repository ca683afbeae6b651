import LockCore
import LockOrderTestSupport
import Synchronization
import Testing

@testable import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// One round of checker work that takes its slow paths: two new locks (registration), a new
/// chain (learning, with a backtrace), and their destruction (the class is forgotten).
@inline(never)
func checkerSlowPathRound() {
    let first = CheckedMutex("fork first", class: .instance)
    let second = CheckedMutex("fork second", class: .instance)
    first.withLock { second.withLock {} }
}

/// Waits for a child at most `seconds`; kills it if it is still running. Returns its exit
/// status, or nil when it had to be killed.
func waitForChild(_ pid: pid_t, seconds: Int) -> Int32? {
    for _ in 0..<(seconds * 1000) {
        var status: Int32 = 0
        let done = waitpid(pid, &status, WNOHANG)
        if done == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
        usleep(1000)
    }
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return nil
}

/// A child forked while another thread is inside the checker can use the checker
/// (docs/architecture.md, "Fork").
@Suite("Fork", .serialized)
struct ForkTests {
    @Test("20 children forked while another thread works the checker's slow paths: none hangs, each checks")
    func childrenOfABusyCheckerWork() async {
        let result = await #expect(
            processExitsWith: .success, observing: [\.standardErrorContent],
            "a forked child hung, or the parent did (SIGALRM after 60 s)"
        ) {
            endProcessIfStillRunning(afterSeconds: 60)
            checkInReportModeOnStandardErrorOnly()
            checkerSlowPathRound()
            let stop = Atomic<Bool>(false)
            let busy = TestThread {
                while !stop.load(ordering: .relaxed) { checkerSlowPathRound() }
            }
            var hung = 0
            var failed = 0
            forking: for _ in 0..<20 {
                let pid = fork()
                if pid == 0 {
                    // The child: its first slow paths, then a violation it must report.
                    endProcessIfStillRunning(afterSeconds: 10)
                    checkerSlowPathRound()
                    let loose = CheckedMutex("loose in child")
                    loose.unlockFromAsync()  // the exit test's body is async
                    _exit(LockOrder.isChecking ? 0 : 3)
                }
                switch waitForChild(pid, seconds: 5) {
                case nil:
                    hung += 1
                    break forking
                case 0?: break
                default: failed += 1
                }
            }
            stop.store(true, ordering: .relaxed)
            busy.join()
            let summary = "children: \(hung) hung, \(failed) failed\n"
            _ = summary.withCString { write(2, $0, strlen($0)) }
            exit(hung == 0 && failed == 0 ? 0 : 1)
        }
        let standardError = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(standardError.contains("children: 0 hung, 0 failed\n"), "\(standardError.suffix(500))")
        // Each child reported its own bad unlock.
        #expect(
            standardError.ranges(of: "lockorder: unlock not held: releasing loose in child").count == 20)
    }

    @Test(
        "a forked child that reports starts no symbolizer (it has not called exec); its parent does",
        .enabled(if: llvmSymbolizerIsOnPath, "needs llvm-symbolizer on PATH"))
    func forkedChildStartsNoSymbolizer() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            endProcessIfStillRunning(afterSeconds: 30)
            checkInReportModeOnStandardErrorOnly()
            unsetenv("LOCKORDER_SYMBOLIZE")
            let pid = fork()
            if pid == 0 {
                endProcessIfStillRunning(afterSeconds: 10)
                let loose = CheckedMutex("loose in forked child")
                loose.unlockFromAsync()  // the exit test's body is async
                _exit(SourceLocator.startedProcessCount.load(ordering: .relaxed) == 0 ? 0 : 4)
            }
            let child = waitForChild(pid, seconds: 10)
            // The same report in the parent, which has not forked from a running image, starts one.
            let loose = CheckedMutex("loose in parent")
            loose.unlockFromAsync()
            let parentStarted = SourceLocator.startedProcessCount.load(ordering: .relaxed)
            let summary = "child: \(child.map(String.init) ?? "hung"), parent started \(parentStarted)\n"
            _ = summary.withCString { write(2, $0, strlen($0)) }
            exit(0)
        }
        let standardError = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(standardError.contains("child: 0, parent started 1\n"), "\(standardError)")
        #expect(standardError.contains("lockorder: unlock not held: releasing loose in forked child"))
        let childReport = standardError.components(
            separatedBy: "lockorder: unlock not held: releasing loose in parent")[0]
        #expect(!hasLocatedFrame(childReport), "the child's frames have no locations: \(childReport)")
    }
}
