import ArgumentParser
import FoundationEssentials
import LockOrderChecker

/// `lockorder suggest FILE...`: a hierarchy whose levels are the learned order, layered.
struct SuggestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggest",
        abstract: "Suggest a lock hierarchy (LOCKORDER_HIERARCHY JSON) from learned graph files.",
        discussion: """
            Levels are a topological layering of the learned order: a class nothing was ever taken \
            after is level 1, any other class one more than the highest level taken while it was \
            held, so every learned edge goes from a higher level to a lower one. The classes of a \
            cycle cannot be ordered: they are the blockers, listed first on stderr and in their \
            notes, and share one level until the cycle is fixed. Exit status 0 (with or without \
            blockers), 2 when a file cannot be read. See docs/graph.md.
            """)

    @Argument(help: "Graph files written with LOCKORDER_GRAPH_FILE.")
    var files: [String]

    @Option(help: "The hierarchy's name.")
    var name = "suggested"

    func run() throws {
        let graph: LearnedOrderSnapshot
        do {
            graph = try GraphSet.load(files)
        } catch {
            StandardError.write("lockorder suggest: \(error.message)\n")
            throw ExitCode(2)
        }
        let analysis = OrderAnalysis(graph.withReportedCycleEdges())
        let levels = analysis.levels()
        var blockerNote: [Int: String] = [:]
        for (number, group) in analysis.blockers.enumerated() {
            let groupNames = group.map { analysis.names[$0] }
            StandardError.write(
                "lockorder suggest: blocker \(number + 1): \(groupNames.joined(separator: ", ")) form an order "
                    + "cycle; they share level \(levels[group[0]]) until it is fixed\n")
            for member in group {
                blockerNote[member] =
                    "blocker \(number + 1): in an order cycle with "
                    + groupNames.filter { $0 != analysis.names[member] }.joined(separator: ", ")
            }
        }
        guard levels.allSatisfy({ LockHierarchy.levelRange.contains($0) }) else {
            StandardError.write(
                "lockorder suggest: the learned order is \(levels.max() ?? 0) levels deep; a hierarchy has at most "
                    + "\(LockHierarchy.levelRange.upperBound)\n")
            throw ExitCode(2)
        }
        // Highest level first, as a reader takes them; blockers first within a level.
        let order = analysis.names.indices.sorted { lhs, rhs in
            if levels[lhs] != levels[rhs] { return levels[lhs] > levels[rhs] }
            if (blockerNote[lhs] != nil) != (blockerNote[rhs] != nil) { return blockerNote[lhs] != nil }
            return analysis.names[lhs] < analysis.names[rhs]
        }
        let locks = order.map { index in
            DeclaredLock(name: analysis.names[index], level: levels[index], note: blockerNote[index])
        }
        let hierarchy: LockHierarchy
        do {
            hierarchy = try LockHierarchy(name: name, locks: locks)
        } catch {
            StandardError.write("lockorder suggest: the suggested hierarchy is not valid: \(error)\n")
            throw ExitCode(2)
        }
        print(String(decoding: hierarchy.jsonData(), as: UTF8.self))
    }
}

extension LearnedOrderSnapshot {
    /// The graph with the edges of the order cycles the runs reported added: the edge that
    /// closed such a cycle was refused by the checker and never learned, but it is an order the
    /// program took, so a layering must see it.
    func withReportedCycleEdges() -> LearnedOrderSnapshot {
        var graph = self
        var known = Set(edges.map { [$0.from, $0.to] })
        for violation in violations where violation.kind == .orderCycle {
            for pair in violation.cycle ?? [] where pair.count == 2 && known.insert(pair).inserted {
                graph.edges.append(
                    OrderEdge(
                        from: pair[0], to: pair[1], modes: nil, count: violation.count, heldAt: "?",
                        acquiredAt: "?",
                        thread: "reported", sightings: nil))
            }
        }
        return graph
    }
}
