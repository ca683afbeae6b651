import CLockOrderSupport
import Foundation
import LockCore
import Testing

@testable import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// LOCKORDER_CHECK and the on/off switches, read once, the first time a lock is used. The
/// end-to-end suite runs the binary with each value; this one covers what the demo cannot:
/// the variable left unset (the demo sets it to `report` itself when it is unset).
@Suite("Configuration from the environment", .serialized)
struct CheckerConfigurationTests {
    @Test(
        "every LOCKORDER_CHECK value selects its mode; an unknown one warns and reports",
        arguments: [
            (nil, Int(LOCKORDER_MODE_OFF)), ("", Int(LOCKORDER_MODE_OFF)), ("0", Int(LOCKORDER_MODE_OFF)),
            ("off", Int(LOCKORDER_MODE_OFF)), ("1", Int(LOCKORDER_MODE_REPORT)),
            ("report", Int(LOCKORDER_MODE_REPORT)), ("abort", Int(LOCKORDER_MODE_ABORT)),
            ("bogus", Int(LOCKORDER_MODE_REPORT)), ("REPORT", Int(LOCKORDER_MODE_REPORT)),
        ] as [(String?, Int)])
    func checkValues(value: String?, mode: Int) {
        let (selected, warning) = Configuration.mode(fromCheckValue: value)
        #expect(Int(selected) == mode)
        let known: Set<String?> = [nil, "", "0", "off", "1", "report", "abort"]
        if known.contains(value) {
            #expect(warning == nil)
        } else {
            #expect(
                warning
                    == "lockorder: LOCKORDER_CHECK=\(value ?? "") is not one of unset, 0, off, 1, report, abort; checking in report mode\n"
            )
        }
    }

    @Test("an on/off switch: 1 and on, 0 and off, unset keeps the default, anything else warns")
    func switchValues() {
        #expect(Configuration.switchValue("LOCKORDER_LEARN", nil, default: true) == (true, nil))
        #expect(Configuration.switchValue("LOCKORDER_LEARN", "", default: true) == (true, nil))
        #expect(Configuration.switchValue("LOCKORDER_LEARN", "0", default: true) == (false, nil))
        #expect(Configuration.switchValue("LOCKORDER_LEARN", "off", default: true) == (false, nil))
        #expect(Configuration.switchValue("LOCKORDER_SYMBOLIZE", "1", default: false) == (true, nil))
        #expect(Configuration.switchValue("LOCKORDER_SYMBOLIZE", "on", default: false) == (true, nil))
        #expect(
            Configuration.switchValue("LOCKORDER_LEARN", "maybe", default: true)
                == (true, "lockorder: LOCKORDER_LEARN=maybe is not one of 0, off, 1, on; using on\n"))
        #expect(
            Configuration.switchValue("LOCKORDER_SYMBOLIZE", "yes", default: false)
                == (false, "lockorder: LOCKORDER_SYMBOLIZE=yes is not one of 0, off, 1, on; using off\n"))
    }

    @Test("LOCKORDER_SYMBOLIZE: unset or empty is on when available, 1 and on require, 0 and off turn it off")
    func symbolizeValues() {
        #expect(Configuration.sourceLocations(fromValue: nil) == (.whenAvailable, nil))
        #expect(Configuration.sourceLocations(fromValue: "") == (.whenAvailable, nil))
        #expect(Configuration.sourceLocations(fromValue: "1") == (.required, nil))
        #expect(Configuration.sourceLocations(fromValue: "on") == (.required, nil))
        #expect(Configuration.sourceLocations(fromValue: "0") == (.off, nil))
        #expect(Configuration.sourceLocations(fromValue: "off") == (.off, nil))
        #expect(
            Configuration.sourceLocations(fromValue: "yes")
                == (
                    .whenAvailable,
                    "lockorder: LOCKORDER_SYMBOLIZE=yes is not one of 0, off, 1, on; using on\n"
                ))
        #expect(Configuration().sourceLocations == .whenAvailable)
    }

    @Test(
        "LOCKORDER_CHECK unset in a fresh process: a level inversion passes silently and checking stays off")
    func unsetMeansOff() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            unsetenv("LOCKORDER_CHECK")
            let typecache = CheckedMutex(declared: "typecache_lock")
            let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
            typecache.withLock { methodTable.withLock {} }
            let standardError = "checking is \(LockOrder.isChecking ? "on" : "off")\n"
            _ = standardError.withCString { write(2, $0, strlen($0)) }
            exit(0)
        }
        #expect(String(decoding: result?.standardErrorContent ?? [], as: UTF8.self) == "checking is off\n")
    }

    /// The report file of an exit test's child, named after the parent (this process), so
    /// that both compute it without passing values to the child.
    static func exitTestReportFile(parent: pid_t) -> String {
        "/tmp/lockorder-exit-test-\(parent).jsonl"
    }

    @Test(
        "LOCKORDER_CHECK=report in a fresh process: reports, then at exit the summary counts every occurrence"
    )
    func summaryAtRealExit() async throws {
        let path = Self.exitTestReportFile(parent: getpid())
        unlink(path)
        defer { unlink(path) }
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("LOCKORDER_CHECK", "report", 1)
            setenv(
                "LOCKORDER_REPORT_FILE", CheckerConfigurationTests.exitTestReportFile(parent: getppid()), 1)
            unsetenv("LOCKORDER_HIERARCHY")
            let typecache = CheckedMutex(declared: "typecache_lock")
            let libmap = CheckedMutex(declared: "libmap_lock")
            let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
            for _ in 0..<5 { typecache.withLock { methodTable.withLock {} } }
            for _ in 0..<2 { typecache.withLock { libmap.withLock {} } }
            exit(0)
        }
        let lines = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self).split(separator: "\n")
        #expect(
            lines.filter { $0.hasPrefix("lockorder: ") } == [
                "lockorder: level inversion: acquiring jl_methtable_t.writelock (level 5) while holding typecache_lock (level 3)",
                "lockorder: same level: acquiring libmap_lock (level 3) while holding typecache_lock (level 3)",
                "lockorder: 2 distinct violations, 7 occurrences",
            ])
        let reportLines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(reportLines.count == 3)
        #expect(
            reportLines.last
                == #"{"schema":3,"summary":{"capacityLimits":[],"counts":[{"count":5,"id":1,"kind":"level_inversion"},{"count":2,"id":2,"kind":"same_level"}],"distinct":2,"occurrences":7}}"#
        )
    }
}
