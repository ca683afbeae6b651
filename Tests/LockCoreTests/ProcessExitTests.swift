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
                "    leaked at exit (no level, Mutex, class leaked at exit (LockCoreTests/ProcessExitTests.swift:"
            ))
        #expect(stderr.hasSuffix("lockorder: 1 distinct violation, 1 occurrence\n"))
    }

    @Test("a process that releases everything exits without a report or a summary")
    func cleanExitIsSilent() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("LOCKORDER_CHECK", "report", 1)
            let lock = CheckedMutex("released")
            lock.withLock {}
            exit(0)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(!stderr.contains("lockorder:"))
    }
}
