import CLockOrderSupport
import LockOrderGraph

/// What one edge of the learned order remembers about the first time it was seen.
struct EdgeEvidence {
    var fromName: String
    var toName: String
    var heldAt: String
    var acquiredAt: String
    var thread: String
    var backtrace: Backtrace?
    /// The gate locks (by lock id) held exclusively at every sighting of the edge so far
    /// (docs/graph.md §12), at most `GateCandidates.perEdge`.
    var gates: [UInt64] = []
}

/// The order in which lock classes have been acquired, learned as the program runs (lockdep,
/// WITNESS, abseil), and checked for cycles: a cycle is a potential deadlock even if none
/// happened.
///
/// Classes, not instances, are the nodes. A reader-preferring read-write class is four nodes
/// (requested shared / exclusive, held shared / exclusive) joined inside by the pairs of modes
/// that exclude each other, so a cycle through it counts only when the waiting request and the
/// hold actually conflict: a cycle made only of read acquisitions of such a lock is no
/// deadlock. Every other class, writer-preferring read-write locks included, is one node.
struct ClassOrderGraph: GatedOrderGraph {
    static let nodeCapacity = 1 << 17
    static let edgeCapacity = 1 << 17
    /// Backtraces kept as edge evidence; past it, new edges keep their sites only.
    static let storedStackCapacity = 1 << 14

    enum Role: UInt8 { case whole, requestShared, requestExclusive, heldShared, heldExclusive }
    struct NodeKey: Hashable {
        var classID: UInt32
        var role: Role
    }

    private(set) var graph = OrderGraph<EdgeEvidence?>(nodeCapacity: nodeCapacity, edgeCapacity: edgeCapacity)
    private var nodeByKey: [NodeKey: UInt32] = [:]
    private(set) var keyByNode: [UInt32: NodeKey] = [:]
    private var nodeNumbers = NodeNumbers(capacity: nodeCapacity)
    private(set) var storedStacks = 0
    /// Orders learned so far (edges between classes, each counted once when first seen; edges
    /// forgotten with a destroyed instance class stay counted): the clean-run summary's "M orders".
    private(set) var ordersLearned = 0
    /// Cycle-closing edges a gate lock serialises, by `edgeKey` (GateLocks.swift).
    var serialised: [UInt64: SerialisedEdge] = [:]
    /// The edges of reported cycles, kept for the graph file after their classes are forgotten.
    var cycleEvidence = CycleEvidence()

    /// The node an acquisition of `classID` in `mode` waits at.
    mutating func requestNode(_ classID: UInt32, kind: LockKind, mode: AccessMode) -> UInt32? {
        guard kind == .readerPreferringRWLock else {
            return node(NodeKey(classID: classID, role: .whole))
        }
        guard ensureSplit(classID) else { return nil }
        return nodeByKey[
            NodeKey(classID: classID, role: mode == .shared ? .requestShared : .requestExclusive)]
    }

    /// The node a hold of `classID` in `mode` orders later acquisitions from.
    mutating func heldNode(_ classID: UInt32, kind: LockKind, mode: AccessMode) -> UInt32? {
        guard kind == .readerPreferringRWLock else {
            return node(NodeKey(classID: classID, role: .whole))
        }
        guard ensureSplit(classID) else { return nil }
        return nodeByKey[NodeKey(classID: classID, role: mode == .shared ? .heldShared : .heldExclusive)]
    }

    private mutating func node(_ key: NodeKey) -> UInt32? {
        if let node = nodeByKey[key] { return node }
        guard let node = nodeNumbers.take() else { return nil }
        nodeByKey[key] = node
        keyByNode[node] = key
        return node
    }

    /// Makes the four nodes of a reader-preferring class and the three internal edges for the
    /// conflicting (request, hold) pairs: every pair but (shared, shared).
    private mutating func ensureSplit(_ classID: UInt32) -> Bool {
        if nodeByKey[NodeKey(classID: classID, role: .heldExclusive)] != nil { return true }
        guard let requestShared = node(NodeKey(classID: classID, role: .requestShared)),
            let requestExclusive = node(NodeKey(classID: classID, role: .requestExclusive)),
            let heldShared = node(NodeKey(classID: classID, role: .heldShared)),
            let heldExclusive = node(NodeKey(classID: classID, role: .heldExclusive))
        else { return false }
        _ = graph.insertEdge(from: requestShared, to: heldExclusive, evidence: nil)
        _ = graph.insertEdge(from: requestExclusive, to: heldShared, evidence: nil)
        _ = graph.insertEdge(from: requestExclusive, to: heldExclusive, evidence: nil)
        return true
    }

    /// Inserts an edge; the evidence is built (and a backtrace kept) only for a new edge.
    mutating func insert(from: UInt32, to: UInt32, evidence: () -> EdgeEvidence)
        -> OrderGraph<EdgeEvidence?>.Insertion
    {
        graph.insertEdge(from: from, to: to, evidence: evidence())
    }

    /// Changes a stored edge's evidence in place (its gates, GateLocks.swift).
    mutating func updateEvidence(from: UInt32, to: UInt32, _ body: (inout EdgeEvidence?) -> Void) {
        graph.updateEvidence(from: from, to: to, body)
    }

    /// Whether another backtrace may be kept as evidence.
    var hasStackRoom: Bool { storedStacks < Self.storedStackCapacity }

    /// Counts an edge seen for the first time.
    mutating func countLearnedOrder() {
        ordersLearned += 1
    }

    /// Counts a kept backtrace.
    mutating func countStoredStack() {
        storedStacks += 1
    }

    /// Forgets every edge of a class whose lock was destroyed (abseil's ForgetDeadlockInfo).
    mutating func forgetClass(_ classID: UInt32) {
        var removedAny = false
        var removedNodes: Set<UInt32> = []
        defer { forgetSerialised(touching: removedNodes) }
        for role in [Role.whole, .requestShared, .requestExclusive, .heldShared, .heldExclusive] {
            let key = NodeKey(classID: classID, role: role)
            guard let node = nodeByKey.removeValue(forKey: key) else { continue }
            keyByNode[node] = nil
            // The removed edges' backtraces go back to the budget of stored ones.
            for evidence in graph.removeNode(node) where evidence?.backtrace != nil { storedStacks -= 1 }
            nodeNumbers.giveBack(node)
            removedNodes.insert(node)
            removedAny = true
        }
        if removedAny { lockorder_advance_graph_epoch() }
    }

    /// Forgets everything (a new checking session in tests).
    mutating func reset() {
        self = ClassOrderGraph()
        lockorder_advance_graph_epoch()
    }
}

extension CheckerState {
    /// The slow path of an acquisition whose chain of held classes this thread has not seen:
    /// add the edges it makes and report a cycle it would close.
    func learnOrder(
        _ identity: LockIdentity, mode: AccessMode, orderKey: UInt64?, site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>, chain: UInt64
    ) {
        slowPath(state) {
            let (candidates, stamp) = tables.withLock { tables in
                (tables.learnEdges(identity, mode: mode, site: site, state: state), ChainKey.Stamp.current)
            }
            if candidates.isEmpty {
                ChainKey.remember(
                    Self.chainAfterLearning(chain, identity, mode, state), in: state, decidedUnder: stamp)
            }
            report(candidates)
        }
    }
}

extension CheckerState {
    /// The chain key to remember after learning: `chain` as the caller computed it, or, when
    /// learning made the acquired lock's class one that nests itself (R32), the key recomputed
    /// with the lock ids the fast path now mixes in.
    fileprivate static func chainAfterLearning(
        _ chain: UInt64, _ identity: LockIdentity, _ mode: AccessMode,
        _ state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> UInt64 {
        guard lockorder_class_nests_itself(identity.classID) != 0, state.pointee.depth > 0 else {
            return chain
        }
        let held = lockorder_held_locks(state)!
        return ChainKey.mix(
            held[Int(state.pointee.depth) - 1].chain, classID: identity.classID, lockID: identity.id,
            shared: mode == .shared)
    }
}

extension CheckerTables {

    /// Adds an edge from every held class to the acquired one; returns the cycle report when
    /// one would close (that edge is then not added).
    mutating func learnEdges(
        _ identity: LockIdentity, mode: AccessMode, site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> [ViolationCandidate] {
        let held = lockorder_held_locks(state)!
        let depth = Int(state.pointee.depth)
        // Locks past the class table share the overflow class: it stands for many unrelated
        // classes, so it orders nothing (an edge through it would join strangers into cycles).
        guard depth > 0, identity.classID != ClassRegistry.overflowClassID else { return [] }
        guard let target = learned.requestNode(identity.classID, kind: identity.kind, mode: mode) else {
            noteGraphFull("nodes")
            return []
        }
        var found: [ViolationCandidate] = []
        // The gate locks held now (docs/graph.md §12), recorded with each edge this sighting makes.
        let sighting = gateCandidates.gates(held: state)
        var threadName: String?
        // The stack is captured once, and only when an edge is new (never in the steady state):
        // it is the stack that holds every held lock's acquisition frame as well as this one.
        var edgeStack: Backtrace?
        for index in 0..<depth {
            let entry = held[index]
            // Two locks of one class nested: the class graph cannot order them; their instances
            // are ordered instead (R32, docs/graph.md).
            if entry.class_id == identity.classID {
                if found.isEmpty,
                    let candidate = learnInstanceEdge(
                        identity, mode: mode, heldEntry: entry, site: site, sighting: sighting,
                        threadName: &threadName, state: state)
                {
                    found.append(candidate)
                }
                continue
            }
            if entry.class_id == ClassRegistry.overflowClassID { continue }
            let heldMode: AccessMode = entry.flags & UInt8(LOCKORDER_HELD_SHARED) != 0 ? .shared : .exclusive
            guard
                let source = learned.heldNode(
                    entry.class_id, kind: LockKind(rawValue: entry.kind) ?? .mutex, mode: heldMode)
            else {
                noteGraphFull("nodes")
                continue
            }
            let keepsStack = learned.hasStackRoom
            let (registry, orderKeys) = (self.registry, self.orderKeys)  // read while `learned` changes
            let result = learned.insert(from: source, to: target) {
                let heldSnapshot = CheckerTables.snapshot(entry, registry: registry, orderKeys: orderKeys)
                if threadName == nil { threadName = ThreadIdentity.describeCurrent() }
                if keepsStack && edgeStack == nil { edgeStack = Backtrace.capture() }
                return EdgeEvidence(
                    fromName: heldSnapshot.name,
                    toName: registry.name(of: identity.nameID, classID: identity.classID),
                    heldAt: heldSnapshot.site ?? "?", acquiredAt: "\(site)", thread: threadName!,
                    backtrace: keepsStack ? edgeStack : nil, gates: sighting)
            }
            switch result {
            case .inserted:
                learned.countLearnedOrder()
                if keepsStack {
                    learned.countStoredStack()
                } else if reporter.noteCapacity("stored stacks") {
                    StandardError.write(
                        "lockorder: capacity: \(ClassOrderGraph.storedStackCapacity) edge backtraces are stored; new "
                            + "edges keep their sites only, and every check goes on\n")
                }
                if found.isEmpty, configuration.baseline != nil,
                    let candidate = baselineCycle(
                        identity, mode: mode, heldEntry: entry, site: site,
                        threadName: threadName ?? ThreadIdentity.describeCurrent(), state: state)
                {
                    found.append(candidate)
                }
                if found.isEmpty,
                    let candidate = unserialisedCycle(
                        after: identity, mode: mode, heldEntry: entry, heldMode: heldMode, source: source,
                        target: target, site: site, state: state)
                {
                    found.append(candidate)
                }
            case .alreadyPresent:
                // A sighting with fewer gates can unserialise a cycle through this edge.
                if found.isEmpty,
                    learned.narrowGates(
                        from: source, to: target, sighting: sighting, candidates: gateCandidates),
                    let candidate = unserialisedCycle(
                        after: identity, mode: mode, heldEntry: entry, heldMode: heldMode, source: source,
                        target: target, site: site, state: state)
                {
                    found.append(candidate)
                }
            case .wouldCloseCycle(let path):
                if found.isEmpty,
                    let candidate = refusedEdge(
                        identity, mode: mode, heldEntry: entry, heldMode: heldMode, source: source,
                        target: target,
                        path: path, sighting: sighting, site: site, state: state)
                {
                    found.append(candidate)
                }
            case .edgeCapacityExceeded:
                noteGraphFull("edges")
            case .nodeOutOfRange:
                noteGraphFull("nodes")
            }
        }
        return found
    }

    fileprivate mutating func noteGraphFull(_ what: String) {
        if reporter.noteCapacity("order graph \(what)") {
            let capacity = what == "edges" ? ClassOrderGraph.edgeCapacity : ClassOrderGraph.nodeCapacity
            StandardError.write(
                "lockorder: capacity: the learned order graph is full (\(capacity) \(what)); new orders are no "
                    + "longer learned, while the level checks and everything already learned go on\n")
        }
    }

    /// R10: the order_cycle finding, worded with its edges' stored stacks: the new edge, then
    /// every edge of the path back, each with where it was first seen.
    mutating func cycleCandidate(
        _ identity: LockIdentity, mode: AccessMode, heldEntry: lockorder_held_lock, heldMode: AccessMode,
        path: [UInt32], site: SourceSite, state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> ViolationCandidate {
        let acquiring = snapshot(identity, mode: mode, orderKey: nil, site: site)
        let heldSnapshot = snapshot(heldEntry)
        func className(_ node: UInt32) -> String {
            learned.keyByNode[node].map { registry.record($0.classID).displayName } ?? "?"
        }
        func isReadWrite(_ node: UInt32) -> Bool {
            learned.keyByNode[node].map { $0.role != .whole } ?? false
        }
        func modeWord(_ node: UInt32) -> String {
            switch learned.keyByNode[node]?.role {
            case .requestShared, .heldShared: "shared"
            case .requestExclusive, .heldExclusive: "exclusive"
            default: "exclusive"
            }
        }
        let newModes =
            heldEntry.kind == LockKind.readerPreferringRWLock.rawValue
                || identity.kind == .readerPreferringRWLock
            ? "\(heldMode) then \(mode)" : nil
        var edges = [
            CycleEdge(
                from: heldSnapshot.className, to: acquiring.className, modes: newModes,
                heldAt: heldSnapshot.site ?? "?", acquiredAt: "\(site)",
                thread: CycleEdge.thisAcquisition,
                frames: [], fromLock: heldSnapshot.name, toLock: acquiring.name)
        ]
        // The new edge's stack is the report's own.
        var backtraces: [Backtrace?] = [nil]
        var classPath: [String] = [heldSnapshot.className, acquiring.className]
        var classIDs: [UInt32] = [identity.classID, heldEntry.class_id]
        var keptEdges: [CycleEvidence.KeptEdge] = []
        for (from, to) in zip(path, path.dropFirst()) {
            // Edges inside a split read-write class carry no evidence: they only join its modes.
            guard let evidence = learned.evidence(from: from, to: to) else { continue }
            let modes = isReadWrite(from) || isReadWrite(to) ? "\(modeWord(from)) then \(modeWord(to))" : nil
            edges.append(
                CycleEdge(
                    from: className(from), to: className(to), modes: modes, heldAt: evidence.heldAt,
                    acquiredAt: evidence.acquiredAt, thread: evidence.thread, frames: [],
                    fromLock: evidence.fromName, toLock: evidence.toName))
            backtraces.append(evidence.backtrace)
            classPath.append(className(to))
            if let key = learned.keyByNode[to] { classIDs.append(key.classID) }
            if let fromKey = learned.keyByNode[from], let toKey = learned.keyByNode[to] {
                keptEdges.append(
                    .init(
                        edge: .init(
                            from: className(from), to: className(to), modes: modes,
                            count: learned.graph.count(from: from, to: to), heldAt: evidence.heldAt,
                            acquiredAt: evidence.acquiredAt, thread: evidence.thread),
                        from: fileNode(ofClass: fromKey.classID), to: fileNode(ofClass: toKey.classID)))
            }
        }
        keepCycleEvidence(keptEdges)
        let finding = Finding(
            reason: .orderCycle(classPath: classPath, edges: edges), lock: acquiring,
            conflicting: heldSnapshot,
            held: heldSnapshots(state), classIDs: classIDs, site: "\(site)")
        return ViolationCandidate(finding, edgeBacktraces: backtraces)
    }
}
