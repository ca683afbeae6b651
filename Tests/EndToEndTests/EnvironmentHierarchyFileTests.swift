import Foundation
import LockOrderTestSupport
import Testing

/// LOCKORDER_HIERARCHY on the real binary: a bad file is one error line naming the file, the
/// key and the problem, and checking goes on with the built-in Julia table; a good file
/// replaces the table.
@Suite("LOCKORDER_HIERARCHY, end to end", .serialized)
struct EnvironmentHierarchyFileTests {
    /// A bad file's contents and the `location: problem` part of its error line (the
    /// decoder on Linux gives no line and column for malformed JSON, so that one has no location).
    static let badFiles: [(name: String, contents: String, error: String)] = [
        (
            "malformed.json", #"{"name": "broken", "locks": [{"name": "a", "level": 3}"#,
            "malformed JSON: The given data was not valid JSON."
        ),
        (
            "duplicate.json",
            #"{"name": "dup", "locks": [{"name": "a", "level": 3}, {"name": "b", "level": 2}, {"name": "a", "level": 1}]}"#,
            "locks[2].name: duplicate lock name 'a' (first at locks[0])"
        ),
        (
            "range.json",
            #"{"name": "range", "locks": [{"name": "a", "level": 3}, {"name": "b", "level": 256}]}"#,
            "locks[1].level: level 256 is out of range 1...255"
        ),
        (
            "zero.json", #"{"name": "zero", "locks": [{"name": "a", "level": 0}]}"#,
            "locks[0].level: level 0 is out of range 1...255"
        ),
        (
            "exception.json",
            #"{"name": "exc", "locks": [{"name": "world_counter_lock", "level": 7}], "exceptions": [{"type": "guardedSameLevel", "lock": "jl_method_t.writelock", "guard": "world_counter_lock"}]}"#,
            "exceptions[0].lock: unknown lock 'jl_method_t.writelock'"
        ),
        (
            "guard.json",
            #"{"name": "guard", "locks": [{"name": "m", "level": 3}], "exceptions": [{"type": "guardedSameLevel", "lock": "m", "guard": "ghost"}]}"#,
            "exceptions[0].guard: unknown lock 'ghost'"
        ),
    ]

    @Test(
        "a bad hierarchy file: one error line, then the Julia table's reports, exit status 0",
        arguments: badFiles)
    func badFile(name: String, contents: String, error: String) throws {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + name
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_HIERARCHY": path])
        #expect(result.status == 0)
        let lines = DemoRun.checkerLines(result)
        #expect(
            lines.first
                == "lockorder: hierarchy '\(path)': \(error) (checking goes on with the built-in julia hierarchy)"
        )
        #expect(DemoRun.lines(result.standardError).first == lines.first, "the error comes before any report")
        #expect(lines.filter { $0.hasPrefix("lockorder: hierarchy") }.count == 1, "exactly one error line")
        DemoRun.expectJuliaReports(Array(lines.dropFirst()))
        #expect(result.standardOutput.contains("== done"), "the demo ran to its end")
    }

    @Test("a missing hierarchy file: one error line with strerror's words, then the Julia table's reports")
    func missingFile() throws {
        let path = "/nonexistent-lockorder-dir/hierarchy.json"
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_HIERARCHY": path])
        #expect(result.status == 0)
        let lines = DemoRun.checkerLines(result)
        #expect(
            lines.first
                == "lockorder: hierarchy '\(path)': cannot open file: No such file or directory (checking goes on with the built-in julia hierarchy)"
        )
        DemoRun.expectJuliaReports(Array(lines.dropFirst()))
    }

    @Test("a good hierarchy file replaces the Julia table: the demo's reports follow it")
    func goodFileIsUsed() throws {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/swapped.json"
        // typecache_lock above jl_methtable_t.writelock, no exception, no forbidden operation.
        let contents = """
            {"name": "swapped", "locks": [
              {"name": "world_counter_lock", "level": 7},
              {"name": "typecache_lock", "level": 5},
              {"name": "jl_methtable_t.writelock", "level": 4},
              {"name": "jl_method_t.writelock", "level": 3}
            ]}
            """
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_HIERARCHY": path])
        #expect(result.status == 0)
        let lines = DemoRun.checkerLines(result)
        let sameLevel =
            "lockorder: same level: acquiring jl_method_t.writelock (level 3) while holding jl_method_t.writelock (level 3)"
        // Scenarios 1 and 2 both take two method locks (no exception now), at two sites; the
        // level inversion and the I/O are allowed; the learned cycle and the bank's stay.
        #expect(Array(lines.prefix(2)) == [sameLevel, sameLevel])
        #expect(lines.dropFirst(2).first?.hasPrefix(DemoRun.cycleHeadlineStart) == true)
        #expect(lines.dropFirst(3).first?.hasPrefix(DemoRun.bankHeadline) == true)
        #expect(Array(lines.dropFirst(4).prefix(2)) == DemoRun.containerHeadlines)
        #expect(lines.last == "lockorder: 6 distinct violations, 6 occurrences")
        #expect(lines.count == 7, "\(lines)")
        #expect(!result.standardError.contains("missing guard"))
    }
}
