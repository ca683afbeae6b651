import Foundation
import LockOrderChecker
import LockOrderTestSupport
import Testing

/// LOCKORDER_GRAPH_BASELINE: a run checked against the order of earlier runs.
@Suite("LOCKORDER_GRAPH_BASELINE, end to end", .serialized)
struct GraphBaselineEndToEndTests {
    static let a = Fixture.lockClass("A")
    static let b = Fixture.lockClass("B")
    static let c = Fixture.lockClass("C")

    @Test(
        "B -> A against a stored A -> B: an order_cycle reported live, its stored edge marked as an earlier run's"
    )
    func reversedOrderIsReported() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let baseline = directory + "/baseline.json"
        Fixture.run(["A>B"], environment: ["LOCKORDER_GRAPH_FILE": baseline])
        let earlierRun = try #require(try readGraph(baseline).runs?.first)

        let reports = directory + "/reports.jsonl"
        let result = Fixture.run(
            ["B>A"], environment: ["LOCKORDER_GRAPH_BASELINE": baseline, "LOCKORDER_REPORT_FILE": reports])
        #expect(result.status == 0)
        let headline =
            "lockorder: order cycle with an earlier run: acquiring A while holding B closes the cycle "
            + "B -> A -> B, 1 of its edges learned in an earlier run (LOCKORDER_GRAPH_BASELINE)"
        #expect(result.standardError.hasPrefix(headline + "\n"), "\(result.standardError)")
        let lines = String(decoding: readFileBytes(reports) ?? [], as: UTF8.self).split(separator: "\n")
        let violation = try #require(
            lines.compactMap { try? JSONDecoderForTests.decode(Violation.self, String($0)) }.first)
        #expect(violation.kind == .orderCycle)
        let cycle = try #require(violation.cycle)
        #expect(cycle.map(\.from) == [Self.b, Self.a])
        #expect(cycle.map(\.to) == [Self.a, Self.b])
        #expect(cycle[0].thread == "this thread (this acquisition)")
        #expect(cycle[1].thread == "earlier run \(earlierRun.id)")
        #expect(cycle[1].heldAt == "lockorder_fixture/main.swift:36")
    }

    @Test("A cycle through a stored edge and two new ones (A -> B stored; B -> C, then C -> A now)")
    func cycleThroughNewEdges() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let baseline = directory + "/baseline.json"
        Fixture.run(["A>B"], environment: ["LOCKORDER_GRAPH_FILE": baseline])
        let result = Fixture.run(["B>C", "C>A"], environment: ["LOCKORDER_GRAPH_BASELINE": baseline])
        #expect(
            result.standardError.hasPrefix(
                "lockorder: order cycle with an earlier run: acquiring A while holding C closes the cycle "
                    + "C -> A -> \(Self.b) -> C, 1 of its edges learned in an earlier run"
            ))
    }

    @Test("The same order as the stored one is silent")
    func sameOrderIsClean() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let baseline = directory + "/baseline.json"
        Fixture.run(["A>B", "B>C"], environment: ["LOCKORDER_GRAPH_FILE": baseline])
        let result = Fixture.run(["A>C", "A>B"], environment: ["LOCKORDER_GRAPH_BASELINE": baseline])
        #expect(result.status == 0)
        #expect(withoutCleanRunLine(result.standardError).isEmpty, "\(result.standardError)")
    }

    @Test("A missing or foreign baseline: one line, and this run's own order is still checked")
    func badBaseline() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let missing = Fixture.run(
            ["A>B", "B>A"], environment: ["LOCKORDER_GRAPH_BASELINE": directory + "/none.json"])
        let lines = missing.standardError.split(separator: "\n").map(String.init)
        #expect(
            lines.first
                == "lockorder: LOCKORDER_GRAPH_BASELINE '\(directory)/none.json': cannot open file: No such file or "
                + "directory (no baseline: only this run's order is checked)")
        #expect(missing.standardError.contains("lockorder: order cycle: acquiring A while holding B"))
        #expect(writeTextFile(directory + "/foreign.json", "[]"))
        let foreign = Fixture.run(
            ["A>B"], environment: ["LOCKORDER_GRAPH_BASELINE": directory + "/foreign.json"])
        #expect(
            withoutCleanRunLine(foreign.standardError)
                == "lockorder: LOCKORDER_GRAPH_BASELINE '\(directory)/foreign.json': not a lockorder graph file of "
                + "schema 1 (no baseline: only this run's order is checked)\n")
    }
}

/// Decoding one JSON line in a test.
enum JSONDecoderForTests {
    static func decode<Value: Decodable>(_ type: Value.Type, _ line: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(line.utf8))
    }
}
