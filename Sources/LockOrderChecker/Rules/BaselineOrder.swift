import CLockOrderSupport
import LockOrderHierarchy

/// LOCKORDER_GRAPH_BASELINE: the order stored by earlier runs, checked live. Every new edge this
/// process learns is also added to a graph of class names that holds the stored edges; when it
/// closes a cycle there, through at least one edge of an earlier run, that is an `order_cycle`
/// reported now, marked as such, although this run alone never took the other order.
///
/// Classes are matched by name (declared name, or `name (Module/File.swift:line)`), as graph
/// files are merged. Instance classes and read-write edges with modes are left out of the
/// baseline: their names or their nodes do not carry over from one run to another. The new edge
/// is learned as usual (this run's own graph stays free of the earlier runs' edges).
struct BaselineOrder {
    /// Evidence of an edge in the name graph.
    struct Evidence {
        let heldAt: String
        let acquiredAt: String
        /// The thread in this run, or `earlier run RUN` for a stored edge.
        let thread: String
        let isEarlier: Bool
    }

    /// from -> to -> evidence.
    private var successors: [String: [String: Evidence]] = [:]
    /// How many stored edges were loaded.
    private(set) var storedEdgeCount = 0

    /// The stored edges of `snapshot`.
    init(_ snapshot: LearnedOrderSnapshot) {
        let transient = Set(snapshot.classes.filter { $0.transient == true }.map(\.name))
        for edge in snapshot.edges
        where edge.modes == nil && !transient.contains(edge.from) && !transient.contains(edge.to) {
            let run = edge.seen?.first?.run ?? "before runs were recorded"
            successors[edge.from, default: [:]][edge.to] = Evidence(
                heldAt: edge.heldAt, acquiredAt: edge.acquiredAt, thread: "earlier run \(run)",
                isEarlier: true)
            storedEdgeCount += 1
        }
    }

    /// Adds this run's new edge `from -> to`; returns the path from `to` back to `from` (each
    /// step with its evidence) when the edge closes a cycle through an earlier run's edge.
    mutating func addLive(from: String, to: String, evidence: Evidence) -> [(
        from: String, to: String, Evidence
    )]? {
        guard from != to else { return nil }
        let path = self.path(from: to, to: from)
        if successors[from]?[to] == nil { successors[from, default: [:]][to] = evidence }
        guard let path, path.contains(where: { $0.2.isEarlier }) else { return nil }
        return path
    }

    /// A shortest path, breadth first.
    private func path(from start: String, to goal: String) -> [(from: String, to: String, Evidence)]? {
        var cameBy: [String: String] = [start: start]
        var queue = [start]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in (successors[node] ?? [:]).keys.sorted() where cameBy[next] == nil {
                cameBy[next] = node
                if next == goal {
                    var steps: [(from: String, to: String, Evidence)] = []
                    var current = goal
                    while current != start, let previous = cameBy[current] {
                        steps.append((previous, current, successors[previous]![current]!))
                        current = previous
                    }
                    return steps.reversed()
                }
                queue.append(next)
            }
        }
        return nil
    }

    /// Loads the baseline named by the environment; a failure is one line to print.
    static func load(path: String) -> (BaselineOrder?, message: String?) {
        let label = "lockorder: LOCKORDER_GRAPH_BASELINE '\(path)'"
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path: path, maximumSize: 256 * 1024 * 1024)
        } catch {
            return (nil, "\(label): \(error.problem) (no baseline: only this run's order is checked)\n")
        }
        guard let snapshot = try? LearnedOrderSnapshot.decode(bytes), snapshot.schema == 1 else {
            return (
                nil,
                "\(label): not a lockorder graph file of schema 1 (no baseline: only this run's order is checked)\n"
            )
        }
        return (BaselineOrder(snapshot), nil)
    }
}

extension CheckerTables {
    /// Called (through the checker's lock) when a new edge `held -> acquired` was learned:
    /// the report of a cycle it closes through the baseline, if any.
    mutating func baselineCycle(
        _ identity: LockIdentity, mode: AccessMode, heldEntry: lockorder_held_lock, site: SourceSite,
        threadName: String, state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> ViolationCandidate? {
        guard configuration.baseline != nil else { return nil }
        let acquiring = snapshot(identity, mode: mode, orderKey: nil, site: site)
        let held = snapshot(heldEntry)
        // Read-write classes learn split nodes per mode: their edges do not carry over.
        if identity.kind == .readerPreferringRWLock
            || heldEntry.kind == LockKind.readerPreferringRWLock.rawValue
        {
            return nil
        }
        let evidence = BaselineOrder.Evidence(
            heldAt: held.site ?? "?", acquiredAt: "\(site)", thread: threadName, isEarlier: false)
        guard
            let path = configuration.baseline!.addLive(
                from: held.className, to: acquiring.className, evidence: evidence)
        else { return nil }
        let edges =
            [
                CycleEdge(
                    from: held.className, to: acquiring.className, modes: nil, heldAt: evidence.heldAt,
                    acquiredAt: evidence.acquiredAt, thread: CycleEdge.thisAcquisition, frames: [])
            ]
            + path.map { step in
                CycleEdge(
                    from: step.from, to: step.to, modes: nil, heldAt: step.2.heldAt,
                    acquiredAt: step.2.acquiredAt,
                    thread: step.2.thread, frames: [])
            }
        let finding = Finding(
            reason: .orderCycleAcrossRuns(
                classPath: [held.className, acquiring.className] + path.map(\.to), edges: edges,
                earlierEdges: path.filter { $0.2.isEarlier }.count),
            lock: acquiring, conflicting: held, held: heldSnapshots(state),
            classIDs: [identity.classID, heldEntry.class_id], site: "\(site)")
        return ViolationCandidate(finding)
    }
}
