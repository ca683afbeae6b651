import LockOrderTestSupport
import Testing

/// `lockorder demo --async` (what `make demo` runs): the async scenario's one report, on top of
/// the other scenarios' reports, and the program finishes.
@Suite("lockorder demo --async, end to end")
struct AsyncDemoEndToEndTests {
    @Test("a lock held across an await is reported once, released, and the demo finishes")
    func asyncScenario() {
        let result = runChildProcess(
            lockorderBinary(), arguments: ["demo", "--async"], environment: ["LOCKORDER_CHECK": "1"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("== async: a task holds a lock across an await"))
        #expect(result.standardOutput.contains("== done:"))
        let headlines = result.standardError.split(separator: "\n").filter { $0.hasPrefix("lockorder: ") }
        let async = headlines.filter { $0.contains("held across suspension") }
        #expect(async.count == 1)
        #expect(
            async.first?.hasPrefix("lockorder: held across suspension: task 0x") == true
                && async.first?.contains(
                    " releases cache on this thread; it acquired it at lockorder/AsyncDemoScenario.swift:")
                    == true
        )
        #expect(!result.standardError.contains("unlock not owner"))
        #expect(headlines.last == "lockorder: 8 distinct violations, 8 occurrences")
    }
}
