import Foundation
import LockOrderChecker
import LockOrderContainers
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What the environment decides in a fresh process: abort mode stops, report mode writes the
/// JSON line and the summary, checking off lets everything through.
@Suite("Container locks in a process", .serialized)
struct ContainerProcessTests {
    @Test("LOCKORDER_CHECK=abort: a push on an iterated array is reported, then the process stops")
    func abortModeStops() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            setenv("LOCKORDER_CHECK", "abort", 1)
            unsetenv("LOCKORDER_REPORT_FILE")
            let numbers = CheckedArray([1], name: "numbers")
            for _ in numbers { numbers.append(2) }
            exit(0)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(
            text.contains(
                "lockorder: container locked: push on numbers (CheckedArray<Int>) while it is locked by iteration\n"
            ))
        #expect(text.contains("lockorder: stopping the process after this report (LOCKORDER_CHECK=abort)"))
    }

    @Test("LOCKORDER_CHECK=abort: restarting a locked context is reported, then the process stops")
    func abortModeStopsOnContext() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            setenv("LOCKORDER_CHECK", "abort", 1)
            unsetenv("LOCKORDER_REPORT_FILE")
            let context = CheckedContext(name: "script") { 0 }
            context.lock()
            context.restart()
            exit(0)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(
            text.contains("lockorder: context locked: restart of script while it is locked by lock()\n"))
        #expect(text.contains("lockorder: stopping the process after this report"))
    }

    @Test("checking off: iteration takes no lock and a push inside the loop goes ahead, silently")
    func checkingOffLetsEverythingThrough() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            unsetenv("LOCKORDER_CHECK")
            let numbers = CheckedArray([1], name: "numbers")
            for _ in numbers { numbers.append(2) }
            let message = "count \(numbers.count)\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            exit(0)
        }
        #expect(String(decoding: result?.standardErrorContent ?? [], as: UTF8.self) == "count 2\n")
    }

    /// The report file of an exit test's child, named after the parent.
    static func reportFile(parent: pid_t) -> String { "/tmp/lockorder-containers-\(parent).jsonl" }

    @Test("LOCKORDER_CHECK=report: text on stderr, one JSON line per distinct refusal, the summary at exit")
    func reportModeWritesJSONAndSummary() async throws {
        let path = Self.reportFile(parent: getpid())
        unlink(path)
        defer { unlink(path) }
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("LOCKORDER_CHECK", "report", 1)
            setenv("LOCKORDER_REPORT_FILE", ContainerProcessTests.reportFile(parent: getppid()), 1)
            let numbers = CheckedArray([1, 2], name: "numbers")
            for _ in numbers { numbers.append(3) }
            let context = CheckedContext(name: "script") { 0 }
            context.lock()
            context.restart()
            exit(0)
        }
        let lines = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self).split(separator: "\n")
        let headlines = lines.filter { $0.hasPrefix("lockorder: ") }
        #expect(headlines.count == 3)
        #expect(headlines.first?.hasPrefix("lockorder: container locked: push on numbers") == true)
        #expect(headlines.last == "lockorder: 2 distinct violations, 3 occurrences")
        let reportLines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(reportLines.count == 3)
        let first = try JSONDecoder().decode(Violation.self, from: Data(reportLines[0].utf8))
        #expect(first.kind == .containerLocked)
        #expect(first.runtimeLocks?.map(\.lockedBy) == ["iteration"])
        #expect(reportLines[0].contains(#""kind":"container_locked""#))
        #expect(reportLines[1].contains(#""kind":"context_locked""#))
        #expect(
            reportLines[2]
                == #"{"schema":3,"summary":{"capacityLimits":[],"counts":[{"count":2,"id":1,"kind":"container_locked"},{"count":1,"id":2,"kind":"context_locked"}],"distinct":2,"occurrences":3}}"#
        )
    }
}
