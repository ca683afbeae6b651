import CLockOrderSupport
import Foundation
import LockCore
import LockOrderChecker
import LockOrderTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Where a report's thread was created (lockorder's pthread_create, LockOrderThreadCreation.h):
/// recorded while checking is on, by whichever path makes the thread, and only then.
@Suite("Where threads were created", .serialized)
struct ThreadCreationTests {
    @Test("a thread made by a thread made in a session: the report names its maker and the maker's call")
    func grandchildNamesItsMaker() throws {
        let (first, second) = (CheckedMutex("creation first"), CheckedMutex("creation second"))
        let maker = ThreadResult<String>()
        let violations = LockOrder.withChecking(learnsOrder: true) {
            takeInOrder(first, second)
            TestThread.runAndWait {
                Thread.current.name = "maker"
                maker.set(ThreadIdentity.describeCurrent())
                Self.startReversedPair(first, second)
            }
        }
        try #require(violations.count == 1, "\(violations)")
        let violation = violations[0]
        #expect(violation.createdBy == maker.value, "\(violation.createdBy ?? "nil")")
        #expect(violation.createdBy?.hasSuffix(", \"maker\")") == true)
        let functions = (violation.creationFrames ?? []).compactMap(\.function)
        #expect(
            functions.first?.contains("ThreadCreationTests.startReversedPair") == true
                || functions.first?.contains("TestThread") == true, "\(functions)")
        #expect(functions.contains { $0.contains("ThreadCreationTests.startReversedPair") }, "\(functions)")
        let text = violation.text
        #expect(text.contains("\n  thread created by \(maker.value ?? "?"), at:\n    #0 0x"), "\(text)")
    }

    /// Takes the pair in reverse on a thread this function makes (its frame is the creation's).
    @inline(never)
    static func startReversedPair(_ first: CheckedMutex, _ second: CheckedMutex) {
        TestThread.runAndWait { takeInOrder(second, first) }
    }

    @Test("a thread a shared library makes (Foundation's Thread) goes through lockorder's pthread_create")
    func libraryThreadsAreRecorded() async {
        await #expect(processExitsWith: .exitCode(0)) {
            endProcessIfStillRunning(afterSeconds: 20)
            checkInReportModeOnStandardErrorOnly()
            let before = lockorder_recorded_thread_creations()
            let started = DispatchSemaphore(value: 0)
            let recorded = ThreadResult<UInt32>()
            let thread = Thread {
                recorded.set(lockorder_current_thread_creation()!.pointee.recorded)
                started.signal()
            }
            thread.start()
            started.wait()
            _exit(lockorder_recorded_thread_creations() - before == 1 && recorded.value == 1 ? 0 : 1)
        }
    }

    @Test("checking off: the wrapper only passes the call on, nothing is recorded")
    func nothingRecordedWhileOff() async {
        await #expect(processExitsWith: .exitCode(0)) {
            endProcessIfStillRunning(afterSeconds: 20)
            unsetenv("LOCKORDER_CHECK")
            let before = lockorder_recorded_thread_creations()
            let recorded = ThreadResult<UInt32>()
            TestThread.runAndWait { recorded.set(lockorder_current_thread_creation()!.pointee.recorded) }
            let made = lockorder_recorded_thread_creations() - before
            exit(recorded.value == 0 && made == 0 ? 0 : 1)
        }
    }

    @Test("LOCKORDER_CHECK set before the first lock operation: threads made before it are recorded")
    func recordedBeforeConfiguration() async {
        await #expect(processExitsWith: .exitCode(0)) {
            endProcessIfStillRunning(afterSeconds: 20)
            checkInReportModeOnStandardErrorOnly()
            let recorded = ThreadResult<UInt32>()
            TestThread.runAndWait { recorded.set(lockorder_current_thread_creation()!.pointee.recorded) }
            _exit(recorded.value == 1 ? 0 : 1)
        }
    }
}
