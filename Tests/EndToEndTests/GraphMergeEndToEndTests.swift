import LockOrderChecker
import LockOrderTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// LOCKORDER_GRAPH_FILE shared by several processes, and `lockorder check` on what they wrote.
@Suite("Graph files across runs: merging and lockorder check", .serialized)
struct GraphMergeEndToEndTests {
    static let tool = lockorderBinary()
    static let a = Fixture.lockClass("A")
    static let b = Fixture.lockClass("B")

    @Test(
        "A -> B in one process, B -> A in another, one file: both edges, both runs; check finds the cycle and names both runs"
    )
    func twoRunsOneFile() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let path = directory + "/graph.json"
        let first = Fixture.run(["A>B"], environment: ["LOCKORDER_GRAPH_FILE": path])
        let second = Fixture.run(["B>A"], environment: ["LOCKORDER_GRAPH_FILE": path])
        #expect(first.status == 0 && second.status == 0)
        #expect(
            isCleanRunLine(second.standardError.dropLast()),
            "each run alone is clean: \(second.standardError)")

        let graph = try readGraph(path)
        let runs = try #require(graph.runs)
        #expect(runs.count == 2)
        #expect(Set(runs.map(\.pid)).count == 2)
        #expect(runs.allSatisfy { $0.process == "lockorder-fixture" })
        let forward = try #require(graph.edges.first { $0.from == Self.a && $0.to == Self.b })
        let backward = try #require(graph.edges.first { $0.from == Self.b && $0.to == Self.a })
        #expect(forward.seen?.map(\.run) == [runs[0].id])
        #expect(backward.seen?.map(\.run) == [runs[1].id])
        #expect(forward.seen?.first?.heldAt == "lockorder_fixture/main.swift:36")
        #expect(forward.seen?.first?.acquiredAt == "lockorder_fixture/main.swift:37")

        let check = runChildProcess(Self.tool, arguments: ["check", path])
        #expect(check.status == 1)
        let lines = check.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first == "order cycle 1: \(Self.a) -> \(Self.b) -> \(Self.a)")
        #expect(lines.contains("  seen across 2 runs; each edge, where it was seen:"))
        for run in runs {
            #expect(
                check.standardOutput.contains(
                    "    run lockorder-fixture pid \(run.pid) at \(run.time): held at lockorder_fixture/main.swift:36, "
                        + "acquired at lockorder_fixture/main.swift:37"))
        }
        #expect(
            lines.last
                == "lockorder check: 1 cycle in the merged order, 0 reported by the runs; 2 classes, 2 edges, 2 runs, 1 file"
        )
    }

    @Test("Two runs writing two files: check on both files finds the cycle neither holds alone")
    func twoFiles() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        Fixture.run(["A>B", "B>C"], environment: ["LOCKORDER_GRAPH_FILE": directory + "/one.json"])
        Fixture.run(["C>A"], environment: ["LOCKORDER_GRAPH_FILE": directory + "/two.json"])
        for file in ["/one.json", "/two.json"] {
            let alone = runChildProcess(Self.tool, arguments: ["check", directory + file])
            #expect(alone.status == 0, "\(file) alone has no cycle: \(alone.standardOutput)")
        }
        let check = runChildProcess(
            Self.tool, arguments: ["check", directory + "/one.json", directory + "/two.json"])
        #expect(check.status == 1)
        let c = Fixture.lockClass("C")
        #expect(
            check.standardOutput.hasPrefix("order cycle 1: \(Self.a) -> \(Self.b) -> \(c) -> \(Self.a)\n"))
        #expect(check.standardOutput.contains("3 classes, 3 edges, 2 runs, 2 files"))
    }

    @Test("A clean merged order: check exits 0 and says so")
    func cleanCheck() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let path = directory + "/graph.json"
        Fixture.run(["A>B"], environment: ["LOCKORDER_GRAPH_FILE": path])
        Fixture.run(["A>B", "B>C"], environment: ["LOCKORDER_GRAPH_FILE": path])
        let graph = try readGraph(path)
        let forward = try #require(graph.edges.first { $0.from == Self.a && $0.to == Self.b })
        #expect(forward.count == 2)
        #expect(forward.seen?.count == 2)
        let check = runChildProcess(Self.tool, arguments: ["check", path])
        #expect(check.status == 0)
        #expect(
            check.standardOutput
                == "lockorder check: 0 cycles in the merged order, 0 reported by the runs; 3 classes, 2 edges, 2 runs, 1 file\n"
        )
    }

    @Test("A cycle a run reported itself is listed by check, and check fails")
    func reportedCycleIsListed() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let path = directory + "/graph.json"
        Fixture.run(["A>B", "B>A"], environment: ["LOCKORDER_GRAPH_FILE": path])
        let check = runChildProcess(Self.tool, arguments: ["check", path])
        #expect(check.status == 1)
        #expect(check.standardOutput.hasPrefix("reported by a run: order cycle: acquiring A while holding B"))
        #expect(check.standardOutput.contains("0 cycles in the merged order, 1 reported by the runs"))
    }

    @Test("Eight processes writing one file at once lose no edge and no run")
    func concurrentWriters() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let path = directory + "/graph.json"
        let go = directory + "/go"
        let letters = Array("ABCDEFGHI")
        let statuses = StatusLog()
        // All eight wait for the `go` file, then take their locks and exit together.
        let children = TestThread {
            TestThread.runConcurrently(8) { index in
                let result = Fixture.run(
                    ["\(letters[index])>\(letters[index + 1])"],
                    environment: ["LOCKORDER_GRAPH_FILE": path, "LOCKORDER_FIXTURE_GO": go])
                statuses.values.withLock { $0.append(result.status) }
            }
        }
        #expect(writeTextFile(go, "go"))
        children.join()
        #expect(statuses.values.withLock { $0 } == [Int32](repeating: 0, count: 8))
        let graph = try readGraph(path)
        #expect(graph.runs?.count == 8)
        let edges = Set(graph.edges.map { "\($0.from) -> \($0.to)" })
        let expected = Set(
            (0..<8).map { "\(Fixture.lockClass(letters[$0])) -> \(Fixture.lockClass(letters[$0 + 1]))" })
        #expect(edges == expected)
        #expect(access(path + ".lock", F_OK) == 0)
    }

    @Test("An existing file that is not a graph: one line, the file left as it was")
    func foreignFileIsLeftAlone() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let path = directory + "/graph.json"
        #expect(writeTextFile(path, "not a graph\n"))
        let result = Fixture.run(["A>B"], environment: ["LOCKORDER_GRAPH_FILE": path])
        #expect(result.status == 0)
        #expect(
            withoutCleanRunLine(result.standardError)
                == "lockorder: LOCKORDER_GRAPH_FILE '\(path)': it is not a lockorder graph file; left as it is, "
                + "this run's graph is not written\n")
        #expect(readFileBytes(path).map { String(decoding: $0, as: UTF8.self) } == "not a graph\n")
    }

    @Test("check on a missing file or a file that is not a graph: one line, exit status 2")
    func checkBadInput() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let missing = runChildProcess(Self.tool, arguments: ["check", directory + "/missing.json"])
        #expect(missing.status == 2)
        #expect(
            missing.standardError
                == "lockorder check: '\(directory)/missing.json': cannot open file: No such file or directory\n"
        )
        #expect(missing.standardOutput.isEmpty)
        #expect(writeTextFile(directory + "/bad.json", "{}"))
        let bad = runChildProcess(Self.tool, arguments: ["check", directory + "/bad.json"])
        #expect(bad.status == 2)
        #expect(
            bad.standardError.hasPrefix(
                "lockorder check: '\(directory)/bad.json' is not a lockorder graph file"))
        #expect(bad.standardError.split(separator: "\n").count == 1)
    }
}
