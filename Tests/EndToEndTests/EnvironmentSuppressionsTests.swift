import Foundation
import LockOrderTestSupport
import Testing

/// LOCKORDER_SUPPRESSIONS, end to end: `lockorder demo` with a suppressions file.
@Suite("LOCKORDER_SUPPRESSIONS")
struct EnvironmentSuppressionsTests {
    static func withFile(_ contents: String, _ body: (String) throws -> Void) throws {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/suppressions.txt"
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        try body(path)
    }

    @Test("a suppressed cycle is not reported; the summary counts it under its rule")
    func suppressedCycle() throws {
        let contents = """
            # the demo's accounts/audit log cycle is known
            order_cycle | accounts* | | the demo takes them in both orders on purpose
            """
        try Self.withFile(contents) { path in
            let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_SUPPRESSIONS": path])
            #expect(result.status == 0)
            let lines = DemoRun.checkerLines(result)
            #expect(Array(lines.prefix(3)) == DemoRun.juliaHeadlines)
            #expect(!lines.contains { $0.hasPrefix(DemoRun.cycleHeadlineStart) }, "\(lines)")
            #expect(
                lines.dropFirst(3).first?.hasPrefix(DemoRun.bankHeadline) == true, "the bank's stays")
            #expect(Array(lines.dropFirst(4).prefix(2)) == DemoRun.containerHeadlines)
            #expect(lines.dropFirst(6).first == "lockorder: 6 distinct violations, 6 occurrences")
            #expect(
                lines.last
                    == "lockorder: suppressed 1 occurrence by \(path):2 (order_cycle | accounts*): the demo takes them in both orders on purpose"
            )
        }
    }

    @Test("a rule that matches nothing changes nothing and is not in the summary")
    func unmatchedRule() throws {
        try Self.withFile("level_inversion | no such lock | | never matches\n") { path in
            let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_SUPPRESSIONS": path])
            DemoRun.expectJuliaReports(DemoRun.checkerLines(result))
        }
    }

    @Test("a site pattern narrows a rule: the wrong site suppresses nothing, the right one does")
    func sitePattern() throws {
        try Self.withFile("forbidden_operation | typecache_lock | Elsewhere.swift:* | not this one\n") {
            path in
            let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_SUPPRESSIONS": path])
            DemoRun.expectJuliaReports(DemoRun.checkerLines(result))
        }
        try Self.withFile(
            "forbidden_operation | typecache_lock | lockorder/DemoScenarios.swift:* | demo I/O\n"
        ) {
            path in
            let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_SUPPRESSIONS": path])
            let lines = DemoRun.checkerLines(result)
            #expect(!lines.contains(DemoRun.juliaHeadlines[2]), "\(lines)")
            #expect(lines.contains("lockorder: 6 distinct violations, 6 occurrences"), "\(lines)")
        }
    }

    static let malformed: [(contents: String, error: String)] = [
        (
            "# fine\norder_cycle | a | b\n",
            "line 2: expected KIND | LOCK PATTERN | SITE PATTERN | REASON, found 3 fields"
        ),
        ("no_such_kind | a | | why\n", "line 1: unknown kind 'no_such_kind' (one of *, "),
        ("\n\norder_cycle | accounts | |   \n", "line 3: the reason is missing (every suppression says why)"),
        ("* |  | | why\n", "line 1: the lock pattern is empty (use * for any lock)"),
    ]

    @Test("a malformed file: one error line naming the line, nothing suppressed", arguments: malformed)
    func malformedFile(contents: String, error: String) throws {
        try Self.withFile(contents) { path in
            let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_SUPPRESSIONS": path])
            #expect(result.status == 0)
            let lines = DemoRun.checkerLines(result)
            let first = try #require(lines.first)
            #expect(first.hasPrefix("lockorder: LOCKORDER_SUPPRESSIONS '\(path)' \(error)"), "\(first)")
            #expect(first.hasSuffix(" (no suppressions applied)"))
            DemoRun.expectJuliaReports(Array(lines.dropFirst()))
        }
    }

    @Test("a missing file: one line with strerror's words")
    func missingFile() throws {
        let result = try DemoRun.run([
            "LOCKORDER_CHECK": "1", "LOCKORDER_SUPPRESSIONS": "/nonexistent-lockorder/s.txt",
        ])
        let lines = DemoRun.checkerLines(result)
        #expect(
            lines.first
                == "lockorder: LOCKORDER_SUPPRESSIONS '/nonexistent-lockorder/s.txt': No such file or directory (no suppressions applied)"
        )
        DemoRun.expectJuliaReports(Array(lines.dropFirst()))
    }
}
