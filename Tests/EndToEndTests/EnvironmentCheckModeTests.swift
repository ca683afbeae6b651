import Foundation
import LockOrderTestSupport
import Testing

/// Every LOCKORDER_CHECK value, and the on/off switches, on the real `lockorder demo` binary.
@Suite("LOCKORDER_CHECK and switches, end to end", .serialized)
struct EnvironmentCheckModeTests {
    @Test(
        "LOCKORDER_CHECK empty, 0 or off: no reports, no summary, nothing on stderr (other variables are not read)",
        arguments: ["", "0", "off"])
    func checkingOff(value: String) throws {
        let result = try DemoRun.run([
            "LOCKORDER_CHECK": value, "LOCKORDER_LEARN": "maybe",
            "LOCKORDER_HIERARCHY": "/nonexistent-lockorder-dir/hierarchy.json",
        ])
        #expect(result.status == 0)
        #expect(result.standardError == "")
        #expect(
            DemoRun.lines(result.standardOutput).last
                == "== done: the reports are on stderr; the summary line follows at exit")
    }

    @Test(
        "LOCKORDER_CHECK 1 or report: the six reports and the summary line, exit status 0",
        arguments: ["1", "report"])
    func checkingReports(value: String) throws {
        let result = try DemoRun.run(["LOCKORDER_CHECK": value])
        #expect(result.status == 0)
        DemoRun.expectJuliaReports(DemoRun.checkerLines(result))
        #expect(
            DemoRun.lines(result.standardError).last == DemoRun.juliaSummary, "the summary line closes stderr"
        )
    }

    @Test("LOCKORDER_CHECK unset: the demo (and only the demo) switches itself to report")
    func demoDefaultsToReport() throws {
        let result = try DemoRun.run([:])
        #expect(result.status == 0)
        DemoRun.expectJuliaReports(DemoRun.checkerLines(result))
    }

    @Test("LOCKORDER_CHECK=abort: the first report, the stopping line, then SIGABRT (status 134)")
    func checkingAborts() throws {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reportFile = directory + "/reports.jsonl"
        let result = try DemoRun.run(["LOCKORDER_CHECK": "abort", "LOCKORDER_REPORT_FILE": reportFile])
        #expect(result.status == 134)
        let lines = DemoRun.lines(result.standardError)
        #expect(lines.first == DemoRun.juliaHeadlines[0])
        let stop = try #require(
            lines.firstIndex(of: "lockorder: stopping the process after this report (LOCKORDER_CHECK=abort)"))
        #expect(
            lines[stop - 1]
                == "  hint: acquire world_counter_lock before taking several jl_method_t.writelock locks",
            "the stopping line follows the first report's last line")
        #expect(
            DemoRun.checkerLines(result) == [
                DemoRun.juliaHeadlines[0],
                "lockorder: stopping the process after this report (LOCKORDER_CHECK=abort)",
            ], "no second report and no summary")
        #expect(!result.standardOutput.contains("== done"))
        let reportLines = DemoRun.lines(try String(contentsOfFile: reportFile, encoding: .utf8))
        #expect(reportLines.count == 1, "the first report's line, and no summary object")
        #expect(reportLines.first?.contains(#""kind":"same_level""#) == true)
    }

    @Test("LOCKORDER_CHECK=bogus: one warning line, then checking in report mode")
    func unknownCheckValueWarns() throws {
        let result = try DemoRun.run(["LOCKORDER_CHECK": "bogus"])
        #expect(result.status == 0)
        let lines = DemoRun.checkerLines(result)
        #expect(
            lines.first
                == "lockorder: LOCKORDER_CHECK=bogus is not one of unset, 0, off, 1, report, abort; checking in report mode"
        )
        #expect(DemoRun.lines(result.standardError).first == lines.first, "the warning comes first")
        DemoRun.expectJuliaReports(Array(lines.dropFirst()))
    }

    @Test("LOCKORDER_LEARN=maybe: one warning line, learning stays on (the order cycle is still found)")
    func unknownLearnValueWarns() throws {
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_LEARN": "maybe"])
        #expect(result.status == 0)
        let lines = DemoRun.checkerLines(result)
        #expect(lines.first == "lockorder: LOCKORDER_LEARN=maybe is not one of 0, off, 1, on; using on")
        DemoRun.expectJuliaReports(Array(lines.dropFirst()))
    }

    @Test("LOCKORDER_LEARN=0: the declared rules only; the learned-order cycle and the bank's are gone")
    func learningOff() throws {
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_LEARN": "0"])
        #expect(result.status == 0)
        #expect(
            DemoRun.checkerLines(result) == DemoRun.juliaHeadlines + DemoRun.containerHeadlines + [
                "lockorder: 5 distinct violations, 5 occurrences"
            ])
    }

    @Test("LOCKORDER_SYMBOLIZE=yes: one warning line, then the default")
    func unknownSymbolizeValueWarns() throws {
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_SYMBOLIZE": "yes"])
        #expect(result.status == 0)
        let lines = DemoRun.checkerLines(result)
        #expect(lines.first == "lockorder: LOCKORDER_SYMBOLIZE=yes is not one of 0, off, 1, on; using on")
        DemoRun.expectJuliaReports(Array(lines.dropFirst()))
    }

    @Test("LOCKORDER_REPORT_FILE that cannot be opened: one warning line, reports still on stderr")
    func unopenableReportFileWarns() throws {
        let path = "/nonexistent-lockorder-dir/reports.jsonl"
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_REPORT_FILE": path])
        #expect(result.status == 0)
        let lines = DemoRun.checkerLines(result)
        #expect(
            lines.first
                == "lockorder: LOCKORDER_REPORT_FILE '\(path)': No such file or directory (reports go to stderr only)"
        )
        DemoRun.expectJuliaReports(Array(lines.dropFirst()))
    }
}
