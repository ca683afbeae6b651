/// The edges of reported order cycles in their graph-file form, kept apart from the graphs they
/// came from: a cycle through instance classes (`class: .instance`) or through instances of one
/// class (R32) loses its edges when its locks are destroyed, and the graph file written at exit
/// (LOCKORDER_GRAPH_FILE) must still draw what was learned, with its sites. Bounded: past
/// `capacity` distinct edges, further ones are not kept (said once).
struct CycleEvidence {
    static let capacity = 1 << 12

    /// One kept edge and the two classes (or instances) it joins.
    struct KeptEdge {
        var edge: LearnedOrderSnapshot.OrderEdge
        var from: LearnedOrderSnapshot.LockClassNode
        var to: LearnedOrderSnapshot.LockClassNode
    }

    private struct Key: Hashable {
        var from: String
        var to: String
        var modes: String?
    }

    /// The kept edges, in the order they were first reported.
    private(set) var edges: [KeptEdge] = []
    private var indexByKey: [Key: Int] = [:]

    /// Keeps an edge, or refreshes its count when it is kept already; false when there was no
    /// room for it.
    mutating func keep(_ kept: KeptEdge) -> Bool {
        let key = Key(from: kept.edge.from, to: kept.edge.to, modes: kept.edge.modes)
        if let index = indexByKey[key] {
            edges[index].edge.count = max(edges[index].edge.count, kept.edge.count)
            return true
        }
        guard edges.count < Self.capacity else { return false }
        indexByKey[key] = edges.count
        edges.append(kept)
        return true
    }
}

extension CheckerTables {
    /// A lock class as the graph file lists it: an instance class is transient (its name holds a
    /// per-run id).
    func fileNode(ofClass classID: UInt32) -> LearnedOrderSnapshot.LockClassNode {
        let record = registry.record(classID)
        if case .instance = record.key {
            return .init(name: record.displayName, level: nil, transient: true)
        }
        return .init(name: record.displayName, level: record.declared?.level)
    }

    /// Keeps the learned edges of a reported cycle for the graph file (the edge that would have
    /// closed it was never learned and is not kept: the violation names it).
    mutating func keepCycleEvidence(_ kept: [CycleEvidence.KeptEdge]) {
        for edge in kept where !learned.cycleEvidence.keep(edge) {
            if reporter.noteCapacity("kept cycle edges") {
                StandardError.write(
                    "lockorder: capacity: \(CycleEvidence.capacity) edges of reported cycles are kept for "
                        + "LOCKORDER_GRAPH_FILE; the edges of further cycles are there only while their locks live\n"
                )
            }
            return
        }
    }
}
