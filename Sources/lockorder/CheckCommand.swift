import ArgumentParser
import LockOrderChecker

/// `lockorder check FILE...`: the learned order of several runs taken together, and every cycle
/// it forms. A cycle whose edges were seen in different runs (or different test binaries) is a
/// potential deadlock that no single run could report.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Find the lock-order cycles that several graph files (LOCKORDER_GRAPH_FILE) form together.",
        discussion: """
            Merges the files (classes by name, edges by their two classes) and reports each cycle \
            of the merged order with, for every edge, the runs (process, time) and the sites \
            where it was seen. Order cycles the runs reported themselves are listed too. Exit \
            status: 0 when there is no cycle, 1 when there is one, 2 when a file cannot be read. \
            See docs/graph.md.
            """)

    @Argument(help: "Graph files written with LOCKORDER_GRAPH_FILE (one merged file or several).")
    var files: [String]

    func run() throws {
        let graph: LearnedOrderSnapshot
        do {
            graph = try GraphSet.load(files)
        } catch {
            StandardError.write("lockorder check: \(error.message)\n")
            throw ExitCode(2)
        }
        let analysis = OrderAnalysis(graph)
        let runs = graph.runs ?? []
        var runByID: [String: GraphRun] = [:]
        for run in runs { runByID[run.id] = run }
        var lines: [String] = []
        let blockers = analysis.blockers
        for (number, group) in blockers.enumerated() {
            let cycle = analysis.cycle(in: group)
            let path = cycle.map { graph.edges[$0].from } + [graph.edges[cycle[0]].from]
            lines.append("order cycle \(number + 1): \(path.joined(separator: " -> "))")
            if group.count > cycle.count {
                let others = group.map { analysis.names[$0] }.filter { !path.contains($0) }
                lines.append("  the same cycle also reaches: \(others.joined(separator: ", "))")
            }
            let runsInCycle = Set(cycle.flatMap { graph.edges[$0].seen ?? [] }.map(\.run))
            lines.append(
                "  seen across \(runsInCycle.count) run\(runsInCycle.count == 1 ? "" : "s"); each edge, "
                    + "where it was seen:")
            for edgeIndex in cycle {
                let edge = graph.edges[edgeIndex]
                let modes = edge.modes.map { " (\($0))" } ?? ""
                lines.append(
                    "  \(edge.from) -> \(edge.to)\(modes), \(edge.count) time\(edge.count == 1 ? "" : "s")")
                for sighting in edge.seen ?? [] {
                    let run =
                        runByID[sighting.run].map { "\($0.process) pid \($0.pid) at \($0.time)" }
                        ?? sighting.run
                    lines.append(
                        "    run \(run): held at \(sighting.heldAt), acquired at \(sighting.acquiredAt) "
                            + "(\(sighting.thread))")
                }
            }
        }
        let liveCycles = graph.violations.filter { $0.kind == .orderCycle }
        for violation in liveCycles {
            lines.append(
                "reported by a run: \(violation.message) (\(violation.count) time\(violation.count == 1 ? "" : "s"))"
            )
        }
        let total = blockers.count + liveCycles.count
        lines.append(
            "lockorder check: \(blockers.count) cycle\(blockers.count == 1 ? "" : "s") in the merged order, "
                + "\(liveCycles.count) reported by the runs; \(analysis.names.count) classes, "
                + "\(graph.edges.count) edges, \(runs.count) run\(runs.count == 1 ? "" : "s"), "
                + "\(files.count) file\(files.count == 1 ? "" : "s")")
        print(lines.joined(separator: "\n"))
        if total > 0 { throw ExitCode.failure }
    }
}
