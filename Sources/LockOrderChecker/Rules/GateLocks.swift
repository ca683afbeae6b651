import CLockOrderSupport
import LockOrderGraph

/// Which locks can be gates: a gate serialises the edges taken under it only if it is one lock,
/// so a gate is a lock whose class has only ever had that one lock (a global, a declared name
/// used once, an instance class). Guarded by the checker's lock, with the class registry.
///
/// Why a class with one lock, and not any lock id: the chain cache (docs/graph.md §10) keys an
/// acquisition by the classes held, not the locks, so a second sighting of a chain under another
/// lock of the gate's class would be cleared by the cache and never narrow the edge's gates. For
/// a class with one lock the classes held decide the gates held, so a sighting the cache skips
/// would have added nothing. When such a class gets a second lock, its first stops being a gate
/// and, if it served as one, every thread's chain cache is emptied (the graph epoch advances),
/// so the sightings that follow narrow the edges again.
struct GateCandidates {
    /// At most this many gates are kept per edge, the outermost held first. Fewer gates can only
    /// make more cycles reported, never fewer.
    static let perEdge = 4

    /// The one lock of each class that has had exactly one (instance classes are not listed:
    /// each is one lock by construction).
    private var soleLock: [UInt32: UInt64] = [:]
    /// Classes that have had several locks: none of their locks is a gate.
    private var sharedClasses: Set<UInt32> = []
    /// Classes (not instance classes) whose one lock has been held as a gate.
    private var gateClasses: Set<UInt32> = []
    /// Locks that were gates until their class got a second lock. All three sets hold at most one
    /// entry per class.
    private var revoked: Set<UInt64> = []

    /// Notes a new lock of `classID`. True when the class's first lock served as a gate and no
    /// longer does (the caller empties the chain caches).
    mutating func noteLock(_ lockID: UInt64, classID: UInt32, isInstanceClass: Bool) -> Bool {
        guard !isInstanceClass, classID != ClassRegistry.overflowClassID, !sharedClasses.contains(classID)
        else { return false }
        guard let first = soleLock[classID] else {
            soleLock[classID] = lockID
            return false
        }
        soleLock[classID] = nil
        sharedClasses.insert(classID)
        guard gateClasses.remove(classID) != nil else { return false }
        revoked.insert(first)
        return true
    }

    /// The gates of the acquisition being made now: the held locks that are gates and are held
    /// exclusively (a read side lets other readers in, so it serialises nothing), outermost
    /// first, at most `perEdge`. A gate is one lock: an instance class's, or the one lock a class
    /// has ever had.
    mutating func gates(held state: UnsafeMutablePointer<lockorder_thread_state>) -> [UInt64] {
        let held = lockorder_held_locks(state)!
        var gates: [UInt64] = []
        for index in 0..<Int(state.pointee.depth) where gates.count < Self.perEdge {
            let entry = held[index]
            guard entry.flags & UInt8(LOCKORDER_HELD_SHARED) == 0,
                entry.class_id != ClassRegistry.overflowClassID,
                !gates.contains(entry.lock_id)
            else { continue }
            if lockorder_class_is_instance(entry.class_id) != 0 {
                gates.append(entry.lock_id)
            } else if soleLock[entry.class_id] == entry.lock_id {
                gates.append(entry.lock_id)
                gateClasses.insert(entry.class_id)
            }
        }
        return gates
    }

    /// `gates` without the locks that stopped being gates.
    func stillGates(_ gates: [UInt64]) -> [UInt64] {
        revoked.isEmpty ? gates : gates.filter { !revoked.contains($0) }
    }
}

/// A cycle-closing edge that was not reported because a gate serialises every cycle it closes:
/// kept beside the learned graph (which stays acyclic), and searched with it, so that a later edge
/// or sighting that makes one of those cycles unserialised is still reported.
struct SerialisedEdge {
    var evidence: EdgeEvidence
    /// The gates common to every sighting of the edge.
    var gates: [UInt64]
    /// The gate named in the summary and the graph file, and the cycle it serialised.
    var gateName: String
    var classPath: [String]
    /// How many times the edge was refused as serialised.
    var count: Int
    /// True once the edge closed a cycle that was reported: it is kept only so that searches
    /// still see it (with no gates).
    var reported = false
}

/// What the gates say about a cycle closed by one edge.
enum GateVerdict: Equatable {
    /// No path leads back: no cycle.
    case noCycle
    /// A path back whose edges, with the closing edge, share no gate: a potential deadlock.
    case unserialised(path: [UInt32])
    /// Every path back shares a gate with the closing edge (`gate`, one of them).
    case serialised(gate: UInt64, path: [UInt32])
}

/// An order graph whose cycle-closing edges may be serialised by gate locks: the class order
/// (ClassOrderGraph) and the order among locks of one class (InstanceOrderGraph) keep gates
/// the same way, so that a cycle one gate serialises is not reported in either.
protocol GatedOrderGraph {
    var graph: OrderGraph<EdgeEvidence?> { get }
    /// Cycle-closing edges a gate lock serialises, by `edgeKey`.
    var serialised: [UInt64: SerialisedEdge] { get set }
    /// Changes a stored edge's evidence in place (its gates).
    mutating func updateEvidence(from: UInt32, to: UInt32, _ body: (inout EdgeEvidence?) -> Void)
}

/// How many serialised edges a graph keeps; past it, a serialised cycle is reported as a cycle.
let serialisedEdgeCapacity = 256

extension GatedOrderGraph {
    /// The gates of a learned or serialised edge; nil for the edges inside a split read-write
    /// class, which join its modes and are no thread's step.
    func gates(from: UInt32, to: UInt32) -> [UInt64]? {
        if let evidence = graph.evidence(from: from, to: to) { return evidence?.gates }
        return serialised[edgeKey(from, to)]?.gates
    }

    /// The evidence of a learned or serialised edge.
    func evidence(from: UInt32, to: UInt32) -> EdgeEvidence? {
        if let evidence = graph.evidence(from: from, to: to) { return evidence }
        return serialised[edgeKey(from, to)]?.evidence
    }

    /// Narrows a learned edge's gates to those of a new sighting; true when some were lost.
    mutating func narrowGates(from: UInt32, to: UInt32, sighting: [UInt64], candidates: GateCandidates)
        -> Bool
    {
        var narrowed = false
        updateEvidence(from: from, to: to) { evidence in
            guard var kept = evidence?.gates, !kept.isEmpty else { return }
            let before = kept.count
            kept = candidates.stillGates(kept).filter { sighting.contains($0) }
            narrowed = kept.count != before
            evidence?.gates = kept
        }
        return narrowed
    }

    /// Whether the edge `from -> to` closes a cycle whose every edge (this one with `gates`
    /// included) was taken under one common gate. Searches every path from `to` back to `from`
    /// over the learned and the serialised edges (not the edge itself), tracking which of
    /// `gates` every edge so far had, and stops at the first path that keeps none.
    ///
    /// Cost: each node is visited at most once per subset of `gates` (at most 16), so the search
    /// is bounded by 16 times the nodes and edges reachable from `to`. It runs only for a new edge,
    /// a new sighting that narrowed an edge's gates, or a refused edge: never in the steady state.
    func gateVerdict(from: UInt32, to: UInt32, gates: [UInt64], candidates: GateCandidates) -> GateVerdict {
        let closing = edgeKey(from, to)
        let valid = candidates.stillGates(gates)
        let full = UInt8(truncatingIfNeeded: (1 << valid.count) - 1)
        func mask(_ edgeGates: [UInt64]?) -> UInt8 {
            guard let edgeGates else { return full }  // an edge inside a read-write class
            var bits: UInt8 = 0
            for (index, gate) in valid.enumerated() where edgeGates.contains(gate) {
                bits |= 1 << UInt8(index)
            }
            return bits
        }
        var serialisedOut: [UInt32: [UInt32]] = [:]
        for key in serialised.keys where key != closing {
            serialisedOut[UInt32(truncatingIfNeeded: key >> 32), default: []].append(
                UInt32(truncatingIfNeeded: key))
        }
        // Search states: a node and the gates every edge up to it had; `parent` indexes states.
        var states: [(node: UInt32, mask: UInt8, parent: Int)] = [(to, full, -1)]
        var seen: [UInt32: [UInt8]] = [to: [full]]
        var stack = [0]
        var serialisedBy: (mask: UInt8, state: Int)?
        func path(to state: Int) -> [UInt32] {
            var nodes: [UInt32] = []
            var index = state
            while index >= 0 {
                nodes.append(states[index].node)
                index = states[index].parent
            }
            return nodes.reversed()
        }
        if to == from { return .unserialised(path: [from]) }
        while let current = stack.popLast() {
            let (node, currentMask, _) = states[current]
            for next in graph.successors(of: node) + (serialisedOut[node] ?? []) {
                let nextMask = currentMask & mask(self.gates(from: node, to: next))
                // A state whose gates include those of one already seen adds no new way to lose them.
                if let masks = seen[next], masks.contains(where: { $0 & ~nextMask == 0 }) { continue }
                seen[next, default: []].append(nextMask)
                states.append((next, nextMask, current))
                if next == from {
                    if nextMask == 0 { return .unserialised(path: path(to: states.count - 1)) }
                    if serialisedBy == nil { serialisedBy = (nextMask, states.count - 1) }
                    continue
                }
                stack.append(states.count - 1)
            }
        }
        guard let serialisedBy else { return .noCycle }
        let gateIndex = serialisedBy.mask.trailingZeroBitCount
        return .serialised(gate: valid[gateIndex], path: path(to: serialisedBy.state))
    }

    /// Forgets the serialised edges that touch a removed node.
    mutating func forgetSerialised(touching nodes: Set<UInt32>) {
        guard !serialised.isEmpty, !nodes.isEmpty else { return }
        serialised = serialised.filter { key, _ in
            !nodes.contains(UInt32(truncatingIfNeeded: key >> 32))
                && !nodes.contains(UInt32(truncatingIfNeeded: key))
        }
    }

    /// Marks the serialised edges along a reported cycle's path: their cycles are no longer
    /// listed as serialised.
    mutating func markSerialisedReported(along path: [UInt32]) {
        guard !serialised.isEmpty else { return }
        for (from, to) in zip(path, path.dropFirst()) {
            serialised[edgeKey(from, to)]?.reported = true
        }
    }

    /// The serialised cycles, for the summary and the graph file: each one's class path (the
    /// refused edge first) and the name of its gate, with how often it was refused.
    var serialisedCycles: [LearnedOrderSnapshot.SerialisedCycle] {
        serialised.sorted { $0.key < $1.key }.compactMap { _, edge in
            edge.reported
                ? nil
                : LearnedOrderSnapshot.SerialisedCycle(
                    cycle: edge.classPath, gate: edge.gateName, count: edge.count)
        }
    }
}

/// The key of the edge `from -> to` among a graph's serialised edges.
func edgeKey(_ from: UInt32, _ to: UInt32) -> UInt64 {
    UInt64(from) << 32 | UInt64(to)
}

/// What the gates decide about an edge that would close a cycle.
enum RefusedEdgeVerdict {
    /// An edge already kept as serialised, serialised again: counted.
    case counted
    /// Serialised for the first time by `gate` (one of `gates`); `path` leads back: the caller
    /// keeps the edge (`serialised[edgeKey]`) with its evidence.
    case newlySerialised(gate: UInt64, gates: [UInt64], path: [UInt32])
    /// A potential deadlock along `path`. `capacityReached`: it was serialised, but no more
    /// serialised edges can be kept.
    case report(path: [UInt32], capacityReached: Bool)
}

extension GatedOrderGraph {
    /// After a learned edge `from -> to` was added, or seen again with fewer gates: the path of
    /// a cycle it now closes through a serialised edge with no common gate (the serialised edges
    /// on it are marked reported). Nothing searched while no edge is serialised.
    mutating func unserialisedPath(from: UInt32, to: UInt32, candidates: GateCandidates) -> [UInt32]? {
        guard !serialised.isEmpty else { return nil }
        guard
            case .unserialised(let path) = gateVerdict(
                from: from, to: to, gates: gates(from: from, to: to) ?? [], candidates: candidates)
        else { return nil }
        markSerialisedReported(along: path)
        return path
    }

    /// An edge `from -> to` that would close a cycle (`path` leads back): serialised when a
    /// gate held at every sighting of every edge of every such cycle serialises them, else the
    /// cycle to report.
    mutating func judgeRefusedEdge(
        from: UInt32, to: UInt32, path: [UInt32], sighting: [UInt64], candidates: GateCandidates
    ) -> RefusedEdgeVerdict {
        let key = edgeKey(from, to)
        var gates = sighting
        if let kept = serialised[key] {
            gates = candidates.stillGates(kept.gates).filter { sighting.contains($0) }
        }
        var reportedPath = path
        var capacityReached = false
        if !gates.isEmpty {
            switch gateVerdict(from: from, to: to, gates: gates, candidates: candidates) {
            case .serialised(let gate, let backPath):
                if serialised[key] != nil {
                    serialised[key]!.gates = gates
                    serialised[key]!.count += 1
                    return .counted
                }
                if serialised.count < serialisedEdgeCapacity {
                    return .newlySerialised(gate: gate, gates: gates, path: backPath)
                }
                capacityReached = true
            case .unserialised(let unserialisedPath):
                reportedPath = unserialisedPath
            case .noCycle:
                break
            }
        }
        serialised[key]?.gates = []
        serialised[key]?.reported = true
        markSerialisedReported(along: reportedPath)
        return .report(path: reportedPath, capacityReached: capacityReached)
    }
}

extension CheckerTables {
    /// After a learned edge `source -> target` was added, or seen again with fewer gates: reports
    /// a cycle it now closes through a serialised edge with no common gate.
    mutating func unserialisedCycle(
        after identity: LockIdentity, mode: AccessMode, heldEntry: lockorder_held_lock, heldMode: AccessMode,
        source: UInt32, target: UInt32, site: SourceSite, state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> ViolationCandidate? {
        guard let path = learned.unserialisedPath(from: source, to: target, candidates: gateCandidates) else {
            return nil
        }
        return cycleCandidate(
            identity, mode: mode, heldEntry: heldEntry, heldMode: heldMode, path: path, site: site,
            state: state)
    }

    /// An edge `source -> target` that would close a cycle (`path` leads back): nil when a gate
    /// serialises every cycle it closes (the edge is kept as serialised, counted, not reported),
    /// else the cycle's report.
    mutating func refusedEdge(
        _ identity: LockIdentity, mode: AccessMode, heldEntry: lockorder_held_lock, heldMode: AccessMode,
        source: UInt32, target: UInt32, path: [UInt32], sighting: [UInt64], site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> ViolationCandidate? {
        switch learned.judgeRefusedEdge(
            from: source, to: target, path: path, sighting: sighting, candidates: gateCandidates)
        {
        case .counted:
            return nil
        case .newlySerialised(let gate, let gates, let backPath):
            learned.serialised[edgeKey(source, target)] = newSerialisedEdge(
                identity, heldEntry: heldEntry, gate: gate, gates: gates, source: source, path: backPath,
                site: site, state: state)
            return nil
        case .report(let reportedPath, let capacityReached):
            if capacityReached { noteSerialisedCapacity() }
            return cycleCandidate(
                identity, mode: mode, heldEntry: heldEntry, heldMode: heldMode, path: reportedPath,
                site: site,
                state: state)
        }
    }

    /// Said once: no more serialised cycles can be kept, so further ones are reported.
    mutating func noteSerialisedCapacity() {
        if reporter.noteCapacity("serialised cycles") {
            StandardError.write(
                "lockorder: capacity: \(serialisedEdgeCapacity) cycles serialised by a gate lock "
                    + "are kept; further ones are reported as cycles, and every check goes on\n")
        }
    }

    /// The record of a newly serialised edge: its evidence (as a learned edge's), its gates, the
    /// name of the gate that serialises it and the cycle's classes.
    private func newSerialisedEdge(
        _ identity: LockIdentity, heldEntry: lockorder_held_lock, gate: UInt64, gates: [UInt64],
        source: UInt32,
        path: [UInt32], site: SourceSite, state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> SerialisedEdge {
        let held = lockorder_held_locks(state)!
        let gateEntry = (0..<Int(state.pointee.depth)).map { held[$0] }.first { $0.lock_id == gate }
        let heldSnapshot = snapshot(heldEntry)
        func className(_ node: UInt32) -> String {
            learned.keyByNode[node].map { registry.record($0.classID).displayName } ?? "?"
        }
        let evidence = EdgeEvidence(
            fromName: heldSnapshot.name,
            toName: registry.name(of: identity.nameID, classID: identity.classID),
            heldAt: heldSnapshot.site ?? "?", acquiredAt: "\(site)", thread: ThreadIdentity.describeCurrent(),
            backtrace: Backtrace.capture(), gates: gates)
        return SerialisedEdge(
            evidence: evidence, gates: gates, gateName: gateEntry.map { snapshot($0).name } ?? "?",
            classPath: [className(source)] + path.map(className), count: 1)
    }
}
