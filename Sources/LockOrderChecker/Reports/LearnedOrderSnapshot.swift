import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// The learned order as written to LOCKORDER_GRAPH_FILE at exit, and read by `lockorder graph`.
public struct LearnedOrderSnapshot: Sendable, Codable, Equatable {
    /// A lock class: a node of the picture.
    public struct LockClassNode: Sendable, Codable, Equatable {
        /// The class name (declared name or creation site).
        public var name: String
        /// The declared level, nil for undeclared classes.
        public var level: Int?
        /// True for an instance class, whose name holds a per-run id: never merged across runs.
        public var transient: Bool? = nil
    }

    /// An ordering learned between two classes: `from` was held while `to` was acquired.
    public struct OrderEdge: Sendable, Codable, Equatable {
        /// The held class.
        public var from: String
        /// The acquired class.
        public var to: String
        /// Modes, for read-write classes (`shared then exclusive`).
        public var modes: String?
        /// How many times the edge was seen on the slow path (a thread's first time through a
        /// chain of held locks).
        public var count: Int
        /// Where `from` was acquired when the edge was first seen.
        public var heldAt: String
        /// Where `to` was acquired when the edge was first seen.
        public var acquiredAt: String
        /// The thread that first made the edge.
        public var thread: String
        /// Every run that saw the edge, with its sites there (oldest first; at most
        /// `EdgeSighting.limit`). Nil in files written before runs were recorded.
        public var seen: [EdgeSighting]? = nil
    }

    /// A violation, for highlighting: cycle edges are drawn in red.
    public struct ReportedViolation: Sendable, Codable, Equatable {
        /// The kind of violation.
        public var kind: ViolationKind
        /// The headline.
        public var message: String
        /// How many times it happened.
        public var count: Int
        /// For `order_cycle`: the cycle's edges as (from, to) class names.
        public var cycle: [[String]]?
    }

    /// A cycle that was not reported because one gate lock was held exclusively at every
    /// sighting of each of its edges (docs/graph.md §12).
    public struct SerialisedCycle: Sendable, Codable, Equatable {
        /// The cycle's classes, the edge refused first, back to where it started.
        public var cycle: [String]
        /// The name of the gate lock that serialises it.
        public var gate: String
        /// How many times the closing edge was refused as serialised.
        public var count: Int
    }

    /// The schema version of this file.
    public var schema: Int
    /// Every class that has an edge, plus every declared class that was used.
    public var classes: [LockClassNode]
    /// Every learned edge.
    public var edges: [OrderEdge]
    /// Every distinct violation.
    public var violations: [ReportedViolation]
    /// The runs merged into this file, oldest first. Nil in files written before runs were
    /// recorded.
    public var runs: [GraphRun]? = nil
    /// The cycles a gate lock serialises, not reported; nil when there are none (and in files
    /// written before gate locks were recognised).
    public var serialisedCycles: [SerialisedCycle]? = nil

    /// Decodes a graph file's contents.
    public static func decode(_ bytes: [UInt8]) throws -> LearnedOrderSnapshot {
        try JSONDecoder().decode(LearnedOrderSnapshot.self, from: Data(bytes))
    }

    /// The file's JSON text.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}

extension CheckerTables {
    /// The learned graph in its file form: the process's own (`learned`, the reporter's
    /// violations), or a checked test's (`order` and `violations` given, see
    /// `LockOrder.keepForOutputFiles`).
    func learnedOrderSnapshot(order: ClassOrderGraph? = nil, violations kept: [Violation]? = nil)
        -> LearnedOrderSnapshot
    {
        let learned = order ?? self.learned
        var classNames = Set<String>()
        var classes: [LearnedOrderSnapshot.LockClassNode] = []
        func addClass(_ classID: UInt32) -> String {
            let record = registry.record(classID)
            if classNames.insert(record.displayName).inserted {
                if case .instance = record.key {
                    classes.append(.init(name: record.displayName, level: nil, transient: true))
                } else {
                    classes.append(.init(name: record.displayName, level: record.declared?.level))
                }
            }
            return record.displayName
        }
        var edges: [LearnedOrderSnapshot.OrderEdge] = []
        for edge in learned.graph.allEdges {
            guard let evidence = edge.evidence, let fromKey = learned.keyByNode[edge.from],
                let toKey = learned.keyByNode[edge.to]
            else { continue }
            let split = fromKey.role != .whole || toKey.role != .whole
            let modes = split ? "\(Self.modeWord(fromKey.role)) then \(Self.modeWord(toKey.role))" : nil
            edges.append(
                .init(
                    from: addClass(fromKey.classID), to: addClass(toKey.classID), modes: modes,
                    count: edge.count,
                    heldAt: evidence.heldAt, acquiredAt: evidence.acquiredAt, thread: evidence.thread))
        }
        // Declared classes in use belong in the picture even without an edge: a level
        // violation names them, and it adds no edge.
        if order == nil {
            for (classID, record) in registry.records.enumerated() where record.live && record.declared != nil
            {
                _ = addClass(UInt32(classID))
            }
        }
        // The edges of reported cycles that the graph forgot since (their locks were destroyed):
        // kept, so the picture still shows what was learned and where.
        var drawn = Set(edges.map { "\($0.from)\u{0}\($0.to)\u{0}\($0.modes ?? "")" })
        for kept in learned.cycleEvidence.edges
        where drawn.insert("\(kept.edge.from)\u{0}\(kept.edge.to)\u{0}\(kept.edge.modes ?? "")").inserted {
            for node in [kept.from, kept.to] where classNames.insert(node.name).inserted {
                classes.append(node)
            }
            edges.append(kept.edge)
        }
        let violations = (kept ?? reporter.distinct.compactMap { $0 }).map { violation in
            LearnedOrderSnapshot.ReportedViolation(
                kind: violation.kind, message: violation.message, count: violation.count,
                // The graph draws a cycle among locks of one class between its instances.
                cycle: violation.cycle?.map {
                    $0.isAmongInstances ? [$0.fromLock ?? $0.from, $0.toLock ?? $0.to] : [$0.from, $0.to]
                })
        }
        for cycle in learned.serialisedCycles {
            for name in cycle.cycle where classNames.insert(name).inserted {
                classes.append(.init(name: name, level: nil))
            }
        }
        // A serialised cycle among locks of one class is drawn between its locks, named per run.
        for cycle in instances.serialisedCycles {
            for name in cycle.cycle where classNames.insert(name).inserted {
                classes.append(.init(name: name, level: nil, transient: true))
            }
        }
        let serialised = learned.serialisedCycles + instances.serialisedCycles
        return LearnedOrderSnapshot(
            schema: 1, classes: classes.sorted { $0.name < $1.name }, edges: edges, violations: violations,
            serialisedCycles: serialised.isEmpty ? nil : serialised)
    }

    private static func modeWord(_ role: ClassOrderGraph.Role) -> String {
        switch role {
        case .requestShared, .heldShared: "shared"
        default: "exclusive"
        }
    }

}

extension CheckerState {
    /// Merges this run's graph into the graph file (`OutputFiles.mergeGraphFile`: under a file
    /// lock, then an atomic rename); a problem is one line on stderr.
    func writeGraphFile(to path: String) {
        let (own, fromTests, reportFile) = tables.withLock {
            ($0.learnedOrderSnapshot(), $0.keptFromSessions, $0.configuration.reportFile)
        }
        // What checked tests kept (their sessions' order), then the process's own.
        let file = fromTests?.merging(own, droppingTransient: false) ?? own
        for line in OutputFiles.mergeGraphFile(
            path: path, run: file.stamped(run: .current()), reportFile: reportFile)
        {
            StandardError.write(TerminalText.line(line))
        }
    }
}

extension LockOrder {
    /// The learned order so far, in the form LOCKORDER_GRAPH_FILE is written in.
    public static func learnedGraph() -> LearnedOrderSnapshot {
        CheckerState.shared.tables.withLock { $0.learnedOrderSnapshot() }
    }
}

/// The earlier name of ``LearnedOrderSnapshot``.
@available(*, deprecated, renamed: "LearnedOrderSnapshot")
public typealias LearnedGraphFile = LearnedOrderSnapshot
