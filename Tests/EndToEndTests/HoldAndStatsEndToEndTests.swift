import Foundation
import LockOrderTestSupport
import Testing

/// LOCKORDER_HOLD_WARN and LOCKORDER_STATS on the real `lockorder wait-scenario` binary, and
/// `lockorder stats` on the report file such a run writes (docs/watchdog.md).
@Suite("Hold warnings and contention statistics, end to end", .serialized)
struct HoldAndStatsEndToEndTests {
    static func run(_ arguments: [String], _ environment: [String: String]) throws -> ChildProcessResult {
        try #require(
            FileManager.default.isExecutableFile(atPath: DemoRun.binary), "build the lockorder product first")
        return runChildProcess(DemoRun.binary, arguments: arguments, environment: environment)
    }

    @Test("a hold longer than LOCKORDER_HOLD_WARN is reported at its release, once per pair of sites")
    func longHoldReported() throws {
        let result = try Self.run(
            ["wait-scenario", "hold"], ["LOCKORDER_CHECK": "1", "LOCKORDER_HOLD_WARN": "100"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("== held"))
        let holds = DemoRun.checkerLines(result).filter { $0.hasPrefix("lockorder: long hold: ") }
        #expect(holds.count == 1, "two long holds at the same sites: one report\n\(result.standardError)")
        let hold = try #require(holds.first)
        #expect(hold.hasPrefix("lockorder: long hold: scenario.slow was held "))
        #expect(hold.contains(" ms, taken at lockorder/WaitScenarios.swift:"))
        #expect(hold.contains(", released at lockorder/WaitScenarios.swift:"))
        let lines = DemoRun.lines(result.standardError)
        #expect(lines.contains { $0.hasPrefix("  rule: a hold longer than LOCKORDER_HOLD_WARN (100.0 ms)") })
        #expect(DemoRun.checkerLines(result).last == "lockorder: 1 distinct violation, 1 occurrence")
    }

    @Test("holds shorter than LOCKORDER_HOLD_WARN are not reported")
    func shortHoldSilent() throws {
        let result = try Self.run(
            ["wait-scenario", "hold"], ["LOCKORDER_CHECK": "1", "LOCKORDER_HOLD_WARN": "600000"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("== held"))
        #expect(withoutCleanRunLine(result.standardError) == "", "\(result.standardError)")
    }

    @Test(
        "a bad LOCKORDER_HOLD_WARN value: one line, no hold warnings, the program goes on",
        arguments: ["soon", "-5", "nan", "12ms"])
    func badHoldWarning(value: String) throws {
        let result = try Self.run(
            ["wait-scenario", "hold"], ["LOCKORDER_CHECK": "1", "LOCKORDER_HOLD_WARN": value])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("== held"))
        #expect(
            DemoRun.lines(withoutCleanRunLine(result.standardError))
                == [
                    "lockorder: LOCKORDER_HOLD_WARN=\(value) is not a number of milliseconds above 0; ignored"
                ])
    }

    /// The acquired and contended columns of the exit table's row for the class named `name`
    /// (the class name may go on with its site; four times of two words each end the row).
    static func row(_ name: String, in result: ChildProcessResult) -> [String]? {
        let row = DemoRun.lines(result.standardError).map { $0.split(separator: " ").map(String.init) }
            .first { $0.first == name }
        guard let row, row.count >= 11 else { return nil }
        return [row[row.count - 10], row[row.count - 9]]
    }

    @Test(
        "LOCKORDER_STATS=1: the exit table counts the scripted workload's acquisitions and its one contended one"
    )
    func exitTable() throws {
        let result = try Self.run(
            ["wait-scenario", "stats"], ["LOCKORDER_CHECK": "1", "LOCKORDER_STATS": "1"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("== stats"))
        let lines = DemoRun.lines(result.standardError)
        #expect(
            lines.first?.hasPrefix("lockorder: contention statistics (LOCKORDER_STATS), ") == true,
            "\(result.standardError)")
        #expect(
            lines.dropFirst().first?.split(separator: " ").map(String.init) == [
                "class", "acquired", "contended", "wait", "total", "wait", "max", "hold", "total", "hold",
                "max",
            ])
        let contended = try #require(Self.row("scenario.contended", in: result), "\(result.standardError)")
        #expect(contended == ["2", "1"])
        let quiet = try #require(Self.row("scenario.quiet", in: result))
        #expect(quiet == ["1001", "0"])
        #expect(
            lines.firstIndex { $0.hasPrefix("  scenario.contended") }! < lines.firstIndex {
                $0.hasPrefix("  scenario.quiet")
            }!,
            "ranked by total wait")
    }

    @Test(
        "LOCKORDER_STATS=1 with a report file: one stats object before the summary; lockorder stats reads it")
    func statsObjectAndCommand() throws {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/reports.jsonl"
        for _ in 0..<2 {
            let result = try Self.run(
                ["wait-scenario", "stats"],
                ["LOCKORDER_CHECK": "1", "LOCKORDER_STATS": "1", "LOCKORDER_REPORT_FILE": path])
            #expect(result.status == 0)
        }
        let lines = DemoRun.lines(try String(contentsOfFile: path, encoding: .utf8))
        #expect(lines.count == 4, "per run: the stats line, then the summary line\n\(lines)")
        let first = try #require(
            try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["schema"] as? Int == 3)
        #expect(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any] != nil)
        #expect(lines[1].contains("\"summary\""))
        let stats = try #require(first["stats"] as? [String: Any])
        let classes = try #require(stats["classes"] as? [[String: Any]])
        let contended = try #require(
            classes.first { ($0["class"] as? String)?.hasPrefix("scenario.contended") == true })
        #expect(contended["acquisitions"] as? Int == 2)
        #expect(contended["contended"] as? Int == 1)
        for key in ["waitTotalNs", "waitMaxNs", "holdTotalNs", "holdMaxNs"] {
            #expect(contended[key] is Int, "\(key)")
        }
        #expect((contended["waitMaxNs"] as? Int ?? 0) <= (contended["waitTotalNs"] as? Int ?? 0))
        let quiet = try #require(
            classes.first { ($0["class"] as? String)?.hasPrefix("scenario.quiet") == true })
        #expect(quiet["acquisitions"] as? Int == 1001)
        #expect(quiet["contended"] as? Int == 0)

        let command = try Self.run(["stats", path, "--top", "1"], [:])
        #expect(command.status == 0, "\(command.standardError)")
        let output = DemoRun.lines(command.standardOutput)
        #expect(output.count == 3, "\(command.standardOutput)")
        #expect(output.first?.hasPrefix("top 1 of ") == true)
        #expect(output.first?.hasSuffix(" by total wait, 2 runs:") == true)
        let row = output.last?.split(separator: " ").map(String.init) ?? []
        #expect(row.first == "scenario.contended", "\(output)")
        #expect(
            row.count >= 11 && row[row.count - 10] == "4" && row[row.count - 9] == "2",
            "two runs added up: 4 acquisitions, 2 contended: \(row)")
    }

    @Test("lockorder stats on a file without statistics, or no file: one line, exit status 2")
    func statsCommandBadInput() throws {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let empty = directory + "/empty.jsonl"
        try "{\"schema\":1,\"summary\":{\"distinct\":0}}\n".write(
            toFile: empty, atomically: true, encoding: .utf8)
        let noStats = try Self.run(["stats", empty], [:])
        #expect(noStats.status == 2)
        #expect(DemoRun.lines(noStats.standardError).count == 1)
        #expect(noStats.standardError.contains("holds no contention statistics"))
        let missing = try Self.run(["stats", directory + "/missing.jsonl"], [:])
        #expect(missing.status == 2)
        #expect(DemoRun.lines(missing.standardError).count == 1, "\(missing.standardError)")
    }
}
