import Foundation
import LockOrderTestSupport
import Testing

/// The watchdog on the real `lockorder wait-scenario` binary, in child processes with a short
/// period: each scenario exits by itself after a few seconds, whatever its threads do.
@Suite("Watchdog, end to end", .serialized)
struct WatchdogEndToEndTests {
    static func run(_ scenario: String, _ environment: [String: String], seconds: String = "3") throws
        -> ChildProcessResult
    {
        try #require(
            FileManager.default.isExecutableFile(atPath: DemoRun.binary), "build the lockorder product first")
        return runChildProcess(
            DemoRun.binary, arguments: ["wait-scenario", scenario, "--seconds", seconds],
            environment: environment)
    }

    @Test("a real ABBA deadlock is reported as deadlock, naming both threads, what each holds and waits for")
    func abbaDeadlock() throws {
        let result = try Self.run("abba", ["LOCKORDER_CHECK": "1", "LOCKORDER_WATCHDOG": "0.2"])
        #expect(result.status == 0, "report mode: the process ends by itself")
        let headlines = DemoRun.checkerLines(result)
        #expect(
            headlines.contains { $0.hasPrefix("lockorder: order cycle:") }, "the order report comes first")
        let deadlock = try #require(
            headlines.first { $0.hasPrefix("lockorder: deadlock: 2 threads wait for each other: ") },
            "\(result.standardError)")
        #expect(deadlock.contains("waits for scenario.a held by thread"))
        #expect(deadlock.contains("waits for scenario.b held by thread"))
        #expect(headlines.filter { $0.hasPrefix("lockorder: deadlock:") }.count == 1, "reported once")
        let lines = DemoRun.lines(result.standardError)
        let threadLines = lines.filter { $0.hasPrefix("    thread ") && $0.contains(": holds ") }
        #expect(threadLines.count == 2, "\(result.standardError)")
        #expect(
            threadLines.contains { $0.contains("holds scenario.a (taken at lockorder/WaitScenarios.swift:") })
        #expect(
            threadLines.contains { $0.contains("holds scenario.b (taken at lockorder/WaitScenarios.swift:") })
        #expect(lines.contains("  threads (each holds the lock the one before it waits for):"))
        #expect(lines.contains("      stack when it began to wait:"))
        // The threads as their own reports name them (unnamed, not the process's name), and each
        // lock's class once, in the legend, not on its lock line.
        #expect(threadLines.allSatisfy { $0.contains(", unnamed): holds ") }, "\(threadLines)")
        let report = lines.drop { !$0.hasPrefix("lockorder: deadlock:") }
        #expect(report.contains("  locks (each class once):"), "\(report)")
        #expect(report.contains { $0.hasPrefix("    scenario.a: the class of locks created at lockorder/") })
        #expect(!report.contains { $0.contains("Mutex, class scenario.") }, "\(report)")
    }

    @Test(
        "an ABBA through other lock types and acquisitions is reported as deadlock too",
        arguments: ["abba-reentrant-spin", "abba-rwlock-reentrant-spin", "abba-timed", "abba-annotated"])
    func abbaDeadlockThroughEveryLockType(scenario: String) throws {
        let result = try Self.run(scenario, ["LOCKORDER_CHECK": "1", "LOCKORDER_WATCHDOG": "0.2"])
        #expect(result.status == 0, "report mode: the process ends by itself")
        let headlines = DemoRun.checkerLines(result)
        let deadlocks = headlines.filter {
            $0.hasPrefix("lockorder: deadlock: 2 threads wait for each other: ")
        }
        #expect(deadlocks.count == 1, "\(result.standardError)")
        let deadlock = try #require(deadlocks.first)
        #expect(deadlock.contains("waits for scenario.a held by thread"))
        #expect(deadlock.contains("waits for scenario.b held by thread"))
        let threadLines = DemoRun.lines(unwrappedReport(result.standardError)).filter {
            $0.hasPrefix("    thread ") && $0.contains(": holds ")
        }
        #expect(threadLines.count == 2, "\(result.standardError)")
        #expect(
            threadLines.allSatisfy {
                $0.contains(", waits for scenario.") && $0.contains("WaitScenarios.swift:")
            })
    }

    @Test("abort mode: the deadlock report ends the process (SIGABRT) instead of a hung job")
    func abbaDeadlockAborts() throws {
        // The ABBA's order report would stop the process first in abort mode: learning is off,
        // so the deadlock is what ends it.
        let result = try Self.run(
            "abba", ["LOCKORDER_CHECK": "abort", "LOCKORDER_LEARN": "0", "LOCKORDER_WATCHDOG": "0.2"],
            seconds: "30")
        #expect(result.status == 128 + SIGABRT, "\(result.standardError)")
        let headlines = DemoRun.checkerLines(result)
        #expect(headlines.first?.hasPrefix("lockorder: deadlock: 2 threads wait for each other") == true)
        #expect(
            headlines.contains("lockorder: stopping the process after this report (LOCKORDER_CHECK=abort)"))
        #expect(
            !result.standardOutput.contains("== exiting"),
            "ended by the watchdog, not by the scenario's timer")
    }

    @Test("a long wait for a held lock is reported once, naming the holder and where it took the lock")
    func longLockWait() throws {
        let result = try Self.run(
            "lock-wait", ["LOCKORDER_CHECK": "1", "LOCKORDER_WATCHDOG": "0.1", "LOCKORDER_WAIT_WARN": "0.5"])
        #expect(result.status == 0)
        let waits = DemoRun.checkerLines(result).filter { $0.hasPrefix("lockorder: long wait: ") }
        #expect(waits.count == 1, "\(result.standardError)")
        let wait = try #require(waits.first)
        #expect(wait.contains(" for scenario.table, held by thread "))
        #expect(wait.contains(" since it took it at lockorder/WaitScenarios.swift:"))
        #expect(
            !DemoRun.checkerLines(result).contains { $0.hasPrefix("lockorder: deadlock") },
            "one waiter is no cycle")
    }

    @Test("a long wait on a condition nobody signals is reported once, without guessing a holder")
    func longConditionWait() throws {
        let result = try Self.run(
            "condition-wait",
            ["LOCKORDER_CHECK": "1", "LOCKORDER_WATCHDOG": "0.1", "LOCKORDER_WAIT_WARN": "0.5"])
        #expect(result.status == 0)
        let waits = DemoRun.checkerLines(result).filter { $0.hasPrefix("lockorder: long wait: ") }
        #expect(waits.count == 1, "\(result.standardError)")
        #expect(
            waits.first?.hasSuffix(" for condition scenario.ready (who could signal it is unknown)") == true,
            "\(waits)")
        #expect(!DemoRun.checkerLines(result).contains { $0.hasPrefix("lockorder: deadlock") })
    }

    @Test("a process with the watchdog on exits normally, and contended locking is no report")
    func watchdogDoesNotHoldTheProcess() throws {
        let result = try Self.run(
            "contended", ["LOCKORDER_CHECK": "1", "LOCKORDER_WATCHDOG": "0.05", "LOCKORDER_WAIT_WARN": "5"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("== counted 80000"))
        #expect(isCleanRunLine(result.standardError.dropLast()), "\(result.standardError)")
    }

    @Test("a bad LOCKORDER_WATCHDOG value: one line, no watchdog, the program goes on")
    func badValue() throws {
        let result = try Self.run("contended", ["LOCKORDER_CHECK": "1", "LOCKORDER_WATCHDOG": "soon"])
        #expect(result.status == 0)
        #expect(
            DemoRun.lines(withoutCleanRunLine(result.standardError))
                == ["lockorder: LOCKORDER_WATCHDOG=soon is not a number of seconds above 0; ignored"])
    }
}
