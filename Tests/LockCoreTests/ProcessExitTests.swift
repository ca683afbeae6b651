import LockCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The thread that ends the process gets no pthread key destructor: its held locks are checked
/// by the checker's `atexit` hook, which then prints the summary line. Each case runs in a
/// child process configured through the environment, as a user's program is.
@Suite("Process exit: held_at_exit for the exiting thread, then the summary")
struct ProcessExitTests {
    @Test("a lock still held when the process exits is reported, then counted in the summary")
    func lockHeldAtProcessExit() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("LOCKORDER_CHECK", "report", 1)
            let lock = CheckedMutex("leaked at exit")
            lock.lockFromAsync()  // the exit test's body is async
            exit(0)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("lockorder: held at exit: the thread ended holding 1 lock: leaked at exit\n"))
        #expect(
            stderr.contains(
                "    leaked at exit (no level, Mutex), acquired at LockCoreTests/ProcessExitTests.swift:"))
        #expect(
            stderr.contains(
                "    leaked at exit: the class of locks created at LockCoreTests/ProcessExitTests.swift:"))
        #expect(stderr.hasSuffix("lockorder: 1 distinct violation, 1 occurrence\n"))
    }

    /// Two locks made on two lines, so of two classes: inside an exit test's body every
    /// statement reports the same line.
    static func twoLocks(_ first: String, _ second: String) -> (CheckedMutex, CheckedMutex) {
        let firstLock = CheckedMutex(first)
        let secondLock = CheckedMutex(second)
        return (firstLock, secondLock)
    }

    @Test("a clean checked run says so: classes and orders checked, 0 violations")
    func cleanExitSaysSo() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("LOCKORDER_CHECK", "report", 1)
            let (outer, inner) = ProcessExitTests.twoLocks("outer", "inner")
            outer.withLock { inner.withLock {} }
            exit(0)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr == "lockorder: checked 2 classes, 1 order, 0 violations\n", "\(stderr)")
    }

    @Test("LOCKORDER_EXITCODE: a run that reported a violation ends with that status")
    func exitCodeAfterViolation() async {
        let result = await #expect(processExitsWith: .exitCode(23), observing: [\.standardErrorContent]) {
            setenv("LOCKORDER_CHECK", "report", 1)
            setenv("LOCKORDER_EXITCODE", "23", 1)
            let (first, second) = ProcessExitTests.twoLocks("first", "second")
            first.withLock { second.withLock {} }
            second.withLock { first.withLock {} }
            exit(0)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("lockorder: order cycle: acquiring first while holding second"), "\(stderr)")
        #expect(stderr.hasSuffix("lockorder: 1 distinct violation, 1 occurrence\n"), "\(stderr)")
    }

    @Test("LOCKORDER_EXITCODE: a clean run keeps the program's own status")
    func exitCodeCleanRun() async {
        await #expect(processExitsWith: .exitCode(0)) {
            setenv("LOCKORDER_CHECK", "report", 1)
            setenv("LOCKORDER_EXITCODE", "23", 1)
            let first = CheckedMutex("first")
            first.withLock {}
            exit(0)
        }
    }

    @Test("LOCKORDER_EXITCODE that is not 0 to 255: one warning line, the program's status kept")
    func exitCodeBadValue() async {
        let result = await #expect(processExitsWith: .exitCode(0), observing: [\.standardErrorContent]) {
            setenv("LOCKORDER_CHECK", "report", 1)
            setenv("LOCKORDER_EXITCODE", "300", 1)
            let (first, second) = ProcessExitTests.twoLocks("first", "second")
            first.withLock { second.withLock {} }
            second.withLock { first.withLock {} }
            exit(0)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(
            stderr.hasPrefix(
                "lockorder: LOCKORDER_EXITCODE=300 is not a number from 0 to 255; the program's own exit status is kept\n"
            ), "\(stderr)")
    }
}
