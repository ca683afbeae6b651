import LockOrderChecker
import LockOrderTestSupport
import Testing

/// `lockorder suggest` and `lockorder doc`, run as a user would.
@Suite("lockorder suggest and doc, end to end", .serialized)
struct SuggestAndDocEndToEndTests {
    static let tool = lockorderBinary()

    @Test("suggest on a known graph: levels by layering, the cycle's classes as blockers, first on stderr")
    func suggestKnownGraph() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let path = directory + "/graph.json"
        // A before B and D, both before C; E and F in a cycle (F>E is refused and reported).
        Fixture.run(["A>B", "B>C", "A>D", "D>C"], environment: ["LOCKORDER_GRAPH_FILE": path])
        Fixture.run(["E>F", "F>E", "G>E"], environment: ["LOCKORDER_GRAPH_FILE": path])
        let result = runChildProcess(Self.tool, arguments: ["suggest", path])
        #expect(result.status == 0)
        let e = Fixture.lockClass("E")
        let f = Fixture.lockClass("F")
        #expect(
            result.standardError
                == "lockorder suggest: blocker 1: \(e), \(f) form an order cycle; they share level 1 until it is fixed\n"
        )
        let hierarchy = try LockHierarchy.decode(json: Array(result.standardOutput.utf8), source: "stdout")
        #expect(hierarchy.name == "suggested")
        var levels: [String: Int] = [:]
        for lock in hierarchy.locks { levels[lock.name] = lock.level }
        let expected: [Character: Int] = ["A": 3, "B": 2, "D": 2, "C": 1, "E": 1, "F": 1, "G": 2]
        #expect(
            levels == Dictionary(uniqueKeysWithValues: expected.map { (Fixture.lockClass($0.key), $0.value) })
        )
        // Highest level first; within a level the blockers first.
        #expect(hierarchy.locks.map(\.name).first == Fixture.lockClass("A"))
        #expect(hierarchy.locks.filter { $0.level == 1 }.map(\.name) == [e, f, Fixture.lockClass("C")])
        #expect(hierarchy.lock(named: e)?.note == "blocker 1: in an order cycle with \(f)")
        #expect(hierarchy.lock(named: Fixture.lockClass("C"))?.note == nil)
        // Every learned edge goes from a higher level to a lower one, except inside the blocker.
        for edge in try readGraph(path).edges where !(Set([edge.from, edge.to]) == Set([e, f])) {
            #expect(levels[edge.from]! > levels[edge.to]!, "\(edge.from) -> \(edge.to)")
        }
    }

    @Test("suggest on a file that is not a graph: one line, exit status 2")
    func suggestBadInput() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        #expect(writeTextFile(directory + "/bad.json", "[1, 2"))
        let result = runChildProcess(Self.tool, arguments: ["suggest", directory + "/bad.json"])
        #expect(result.status == 2)
        #expect(
            result.standardError
                == "lockorder suggest: '\(directory)/bad.json' is not a lockorder graph file (the JSON "
                + "LOCKORDER_GRAPH_FILE writes): malformed JSON: The given data was not valid JSON.\n")
        #expect(result.standardOutput.isEmpty)
    }

    @Test(
        "doc on the built-in Julia table: one table per level, with exactly the table's locks, kinds and notes"
    )
    func docJulia() throws {
        let result = runChildProcess(Self.tool, arguments: ["doc", "julia"])
        #expect(result.status == 0)
        #expect(result.standardError.isEmpty)
        let lines = result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(
            String.init)
        #expect(lines.first == "# Lock hierarchy: julia")
        var rowsByLevel: [Int: [String]] = [:]
        var level: Int?
        var section = ""
        for line in lines {
            if line.hasPrefix("## ") {
                section = String(line.dropFirst(3))
                level = section.hasPrefix("Level ") ? Int(section.dropFirst(6)) : nil
            } else if let level, line.hasPrefix("| `") {
                rowsByLevel[level, default: []].append(line)
            }
        }
        let julia = LockHierarchy.julia
        #expect(rowsByLevel.keys.sorted() == Set(julia.locks.map(\.level)).sorted())
        for (tableLevel, rows) in rowsByLevel {
            let declared = julia.locks.filter { $0.level == tableLevel }
            #expect(
                rows
                    == declared.map { lock in
                        "| `\(lock.name)` | \(lock.kind.map { "`\($0)`" } ?? "") | \(lock.note ?? "") |"
                    }, "level \(tableLevel)")
        }
        #expect(lines.contains("## Exceptions"))
        #expect(
            lines.contains(
                "| `jl_method_t.writelock` | guarded same level (world_counter_lock) | several jl_method_t.writelock "
                    + "may be held at once only while holding world_counter_lock |"))
        #expect(lines.contains("## Forbidden operations"))
        #expect(lines.contains("## Implicit acquisitions"))
        #expect(lines.contains("| `safepoint` | `safepoint_lock` |"))
    }

    @Test("doc on the suggested hierarchy of a graph prints its levels; on a bad file, one line and status 2")
    func docFileAndBadFile() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let hierarchyPath = directory + "/hierarchy.json"
        #expect(
            writeTextFile(
                hierarchyPath,
                #"{"name": "app", "locks": [{"name": "cache|index", "level": 2, "kind": "CheckedMutex"}, "#
                    + #"{"name": "stats", "level": 1, "note": "leaf"}]}"#))
        let result = runChildProcess(Self.tool, arguments: ["doc", hierarchyPath])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("## Level 1\n\nNo other declared lock may be acquired"))
        #expect(result.standardOutput.contains("| `stats` |  | leaf |"))
        #expect(result.standardOutput.contains("| `cache\\|index` | `CheckedMutex` |  |"))

        #expect(
            writeTextFile(directory + "/bad.json", #"{"name": "x", "locks": [{"name": "a", "level": 0}]}"#))
        let bad = runChildProcess(Self.tool, arguments: ["doc", directory + "/bad.json"])
        #expect(bad.status == 2)
        #expect(bad.standardOutput.isEmpty)
        #expect(bad.standardError.hasPrefix("lockorder doc: "))
        #expect(bad.standardError.contains("level 0 is out of range 1...255"))
        #expect(bad.standardError.split(separator: "\n").count == 1)
    }
}
