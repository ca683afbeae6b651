import Foundation
import LockOrderChecker
import LockOrderTestSupport
import Testing

/// LOCKORDER_REPORT_FILE on the real binary: one JSON object per distinct violation, then one
/// summary object (docs/report-format.md).
@Suite("LOCKORDER_REPORT_FILE, end to end", .serialized)
struct EnvironmentReportFileTests {
    /// Runs the demo with a fresh report file and returns stderr's checker lines and the file's
    /// lines, each parsed.
    static func runWithReportFile(_ extra: [String: String] = [:]) throws -> (
        checkerLines: [String], rawLines: [String], objects: [[String: Any]]
    ) {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/reports.jsonl"
        let result = try DemoRun.run(
            ["LOCKORDER_CHECK": "1", "LOCKORDER_REPORT_FILE": path].merging(extra) { $1 })
        #expect(result.status == 0)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("\n"), "every line ends with a newline")
        let rawLines = DemoRun.lines(text)
        var objects: [[String: Any]] = []
        for line in rawLines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            objects.append(try #require(object, "not a JSON object: \(line)"))
        }
        return (DemoRun.checkerLines(result), rawLines, objects)
    }

    @Test("every line is one JSON object; seven violations, then the summary; stderr has the same reports")
    func linesParse() throws {
        let (checkerLines, rawLines, objects) = try Self.runWithReportFile()
        #expect(rawLines.count == 8)
        #expect(objects.map { $0["schema"] as? Int } == Array(repeating: 3, count: 8))
        let violations = objects.dropLast()
        #expect(violations.map { $0["id"] as? Int } == [1, 2, 3, 4, 5, 6, 7])
        #expect(
            violations.map { $0["kind"] as? String } == [
                "same_level", "level_inversion", "forbidden_operation", "order_cycle", "order_cycle",
                "container_locked", "context_locked",
            ])
        #expect(
            violations.map { "lockorder: " + ($0["message"] as? String ?? "") }
                == Array(checkerLines.prefix(7)))
        for object in violations {
            for key in [
                "schema", "id", "kind", "message", "thread", "site", "held", "rule", "hint", "frames",
                "count",
            ] {
                #expect(object[key] != nil, "\(key) in \(object["kind"] ?? "?")")
            }
            #expect(object["count"] as? Int == 1, "the count when the line was written: the first occurrence")
            let frames = try #require(object["frames"] as? [[String: Any]])
            #expect(!frames.isEmpty)
            #expect(frames.allSatisfy { $0["address"] is Int && $0["offset"] is Int })
            #expect(
                frames.contains {
                    ($0["function"] as? String)?.hasPrefix("lockorder.DemoCommand.run()") == true
                }
                    || object["kind"] as? String == "order_cycle",
                "main-thread reports reach the demo command")
            #expect(
                !frames.contains { ($0["function"] as? String)?.hasPrefix("$s") == true },
                "names are demangled")
        }
        // Every line decodes as a Violation too (except the summary).
        for line in rawLines.dropLast() {
            _ = try JSONDecoder().decode(Violation.self, from: Data(line.utf8))
        }
    }

    @Test("the level-inversion line, field by field")
    func levelInversionLine() throws {
        let (_, _, objects) = try Self.runWithReportFile()
        let object = try #require(objects.first { $0["kind"] as? String == "level_inversion" })
        let line = try DemoRun.sourceLine(
            containing: "methodTable.withLock {}", in: "Sources/lockorder/DemoScenarios.swift")
        let heldLine = try DemoRun.sourceLine(
            containing: "typecache.withLock {", in: "Sources/lockorder/DemoScenarios.swift")
        let site = "lockorder/DemoScenarios.swift:\(line)"
        let heldSite = "lockorder/DemoScenarios.swift:\(heldLine)"
        #expect(
            Set(object.keys) == [
                "schema", "id", "kind", "message", "thread", "site", "lock", "held", "rule", "legend", "hint",
                "frames", "count",
            ])
        #expect(object["id"] as? Int == 2)
        #expect(
            object["message"] as? String
                == "level inversion: acquiring jl_methtable_t.writelock (level 5) while holding typecache_lock (level 3)"
        )
        #expect((object["thread"] as? String)?.hasPrefix("thread 1 (tid ") == true)
        #expect(object["site"] as? String == site)
        #expect(
            object["rule"] as? String
                == "while a level 3 lock is held, only locks of a strictly lower level may be acquired")
        #expect(
            object["hint"] as? String
                == "acquire jl_methtable_t.writelock before typecache_lock (higher levels first), or release typecache_lock first"
        )
        let lock = try #require(object["lock"] as? [String: Any])
        #expect(Set(lock.keys) == ["name", "className", "level", "kind", "mode", "site", "tryLock"])
        #expect(lock["name"] as? String == "jl_methtable_t.writelock")
        #expect(lock["className"] as? String == "jl_methtable_t.writelock")
        #expect(lock["level"] as? Int == 5)
        #expect(lock["kind"] as? String == "mutex")
        #expect(lock["mode"] as? String == "exclusive")
        #expect(lock["site"] as? String == site)
        #expect(lock["tryLock"] as? Bool == false)
        let held = try #require(object["held"] as? [[String: Any]])
        #expect(held.count == 1)
        #expect(held.first?["name"] as? String == "typecache_lock")
        #expect(held.first?["level"] as? Int == 3)
        #expect(held.first?["kind"] as? String == "mutex")
        #expect(held.first?["site"] as? String == heldSite)
        let frames = try #require(object["frames"] as? [[String: Any]])
        #expect(
            (frames.first?["function"] as? String)?.hasPrefix(
                "closure #1 () -> () in closure #3 @Sendable () -> ()")
                == true,
            "frame #0 is the scenario's inner closure")
        #expect(frames.first?["module"] as? String == "lockorder")
    }

    @Test("the guard line names the missing guard; the I/O line names the operation and has no lock")
    func guardAndOperationLines() throws {
        let (_, _, objects) = try Self.runWithReportFile()
        let guardLine = try #require(objects.first { $0["kind"] as? String == "same_level" })
        #expect(guardLine["missingGuard"] as? String == "world_counter_lock")
        #expect(
            guardLine["exception"] as? String
                == "guarded same level (world_counter_lock): several jl_method_t.writelock locks may be held at once only while world_counter_lock is held; world_counter_lock is not held"
        )
        let ioLine = try #require(objects.first { $0["kind"] as? String == "forbidden_operation" })
        #expect(ioLine["operation"] as? String == "io")
        #expect(ioLine["lock"] == nil)
        #expect(ioLine["missingGuard"] == nil)
        let cycleLine = try #require(objects.first { $0["kind"] as? String == "order_cycle" })
        let cycle = try #require(cycleLine["cycle"] as? [[String: Any]])
        #expect(cycle.count == 2)
        for edge in cycle {
            for key in ["from", "to", "heldAt", "acquiredAt", "thread", "frames"] {
                #expect(edge[key] != nil, "cycle edge has \(key)")
            }
        }
        #expect((cycleLine["lock"] as? [String: Any])?["level"] == nil, "an undeclared lock has no level")
    }

    @Test("the last line is the summary object, with the counts of every violation")
    func summaryLine() throws {
        let (checkerLines, _, objects) = try Self.runWithReportFile()
        let last = try #require(objects.last)
        #expect(Set(last.keys) == ["schema", "summary"])
        let summary = try #require(last["summary"] as? [String: Any])
        #expect(summary["distinct"] as? Int == 7)
        #expect(summary["occurrences"] as? Int == 7)
        #expect((summary["capacityLimits"] as? [String])?.isEmpty == true)
        let counts = try #require(summary["counts"] as? [[String: Any]])
        #expect(counts.map { $0["id"] as? Int } == [1, 2, 3, 4, 5, 6, 7])
        #expect(
            counts.map { $0["kind"] as? String } == [
                "same_level", "level_inversion", "forbidden_operation", "order_cycle", "order_cycle",
                "container_locked", "context_locked",
            ])
        #expect(counts.map { $0["count"] as? Int } == [1, 1, 1, 1, 1, 1, 1])
        #expect(checkerLines.last == DemoRun.juliaSummary)
    }

    @Test("the file is appended to: a second run adds its lines after the first run's")
    func fileIsAppended() throws {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/reports.jsonl"
        for _ in 0..<2 {
            _ = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_REPORT_FILE": path])
        }
        let lines = DemoRun.lines(try String(contentsOfFile: path, encoding: .utf8))
        #expect(lines.count == 16)
        #expect(lines.filter { $0.hasPrefix(#"{"schema":3,"summary":"#) }.count == 2)
    }
}
