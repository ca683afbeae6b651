/// A directed acyclic graph of "acquired-before" edges between lock classes
/// that refuses any edge that would close a cycle.
///
/// The graph knows only dense node ids (`0..<nodeCapacity`, handed out by the
/// caller) and an opaque `Evidence` payload per edge. It does no locking: the
/// caller serialises all access (the checker holds its own lock around it).
///
/// Cycle detection is incremental (Pearce–Kelly dynamic topological order):
/// every node carries a distinct rank and every stored edge `x -> y` satisfies
/// `rank[x] < rank[y]`, so the graph is acyclic by construction.
///
/// Complexity (n = nodeCapacity, e = stored edges):
/// - `hasEdge`, `count`, `evidence`: O(1) expected (one hash lookup).
/// - `insertEdge` when the edge already exists, or when it agrees with the
///   current order (`rank[from] < rank[to]`): O(1) expected, no search, no
///   allocation beyond amortised adjacency growth. This is the steady state
///   of a checker whose lock-order graph has stabilised.
/// - `insertEdge` that contradicts the current order: O(δ log δ + edges
///   incident to δ), where δ is the set of nodes whose rank lies between
///   `rank[to]` and `rank[from]` and that are connected to the new edge.
///   Worst case O(n log n + e) per insert; adversarial sequences (e.g. a
///   long chain inserted against the initial order) are quadratic overall.
/// - `isReachable`: O(nodes and edges inside the rank window), allocates.
/// - `removeNode`: O(sum of the degrees of the node's neighbours).
/// - Memory: O(n + e); the per-node arrays are allocated up front.
///
/// All searches are iterative, so path length is not bounded by stack depth.
package struct OrderGraph<Evidence> {
    /// The verdict of `insertEdge`, telling the caller exactly what changed.
    ///
    /// Only `.inserted` and `.alreadyPresent` modify the graph.
    package enum Insertion: Equatable, Sendable {
        /// The edge was new and is now stored with its evidence and count 1.
        case inserted
        /// The edge existed; its count was incremented and its evidence kept.
        case alreadyPresent
        /// The edge was not stored because it would close a cycle.
        ///
        /// `path` follows stored edges from `to` to `from` (`path.first == to`,
        /// `path.last == from`, no node repeated), so the cycle is
        /// `from -> to -> ... -> from`. For a self edge the path is `[from]`.
        case wouldCloseCycle(path: [UInt32])
        /// The edge was new but the graph already holds `edgeCapacity` edges;
        /// nothing changed.
        case edgeCapacityExceeded
        /// `from` or `to` is not below `nodeCapacity`; nothing changed.
        case nodeOutOfRange
    }

    /// Per-edge payload; the endpoints live in the dictionary key.
    fileprivate struct EdgeRecord {
        var count: Int
        var evidence: Evidence
    }

    /// Buffers reused across inserts so a reordering insert does not allocate
    /// once their capacity has grown to the working-set size.
    private struct Scratch {
        var stack: [UInt32] = []
        var forward: [UInt32] = []
        var backward: [UInt32] = []
        var ranks: [UInt32] = []

        mutating func clear() {
            stack.removeAll(keepingCapacity: true)
            forward.removeAll(keepingCapacity: true)
            backward.removeAll(keepingCapacity: true)
            ranks.removeAll(keepingCapacity: true)
        }
    }

    /// The number of node ids the graph accepts; ids are `0..<nodeCapacity`.
    ///
    /// Fixed at initialisation.
    package let nodeCapacity: Int

    /// The maximum number of edges stored at once.
    ///
    /// Fixed at initialisation; inserting a new edge beyond it fails with
    /// `.edgeCapacityExceeded`.
    package let edgeCapacity: Int

    /// Edge records keyed by `from << 32 | to`, giving O(1) membership tests.
    private var edges: [UInt64: EdgeRecord] = [:]
    /// Successors per node, unordered; needed by the forward search.
    private var outEdges: [[UInt32]]
    /// Predecessors per node, unordered; needed by the backward search and by
    /// `removeNode` to find incoming edges without scanning the whole graph.
    private var inEdges: [[UInt32]]
    /// A permutation of `0..<nodeCapacity` that is a topological order.
    private var rank: [UInt32]
    /// Visit marks stamped with `epoch`, so searches never clear the array.
    private var mark: [UInt32]
    /// DFS-tree parent per node, valid for nodes marked in the last forward
    /// search; lets a detected cycle be reported as a concrete path.
    private var parent: [UInt32]
    private var epoch: UInt32 = 0
    private var scratch = Scratch()

    /// Creates an empty graph over node ids `0..<nodeCapacity` holding at most
    /// `edgeCapacity` edges.
    ///
    /// Allocates O(nodeCapacity) memory immediately; edge storage grows on
    /// demand. Traps if either capacity is negative or if `nodeCapacity`
    /// exceeds the number of `UInt32` ids.
    package init(nodeCapacity: Int, edgeCapacity: Int) {
        precondition(nodeCapacity >= 0 && edgeCapacity >= 0, "capacities must be non-negative")
        precondition(UInt64(nodeCapacity) <= UInt64(UInt32.max) + 1, "node ids are UInt32")
        self.nodeCapacity = nodeCapacity
        self.edgeCapacity = edgeCapacity
        outEdges = Array(repeating: [], count: nodeCapacity)
        inEdges = Array(repeating: [], count: nodeCapacity)
        // Any permutation is a valid order for an edgeless graph; the identity
        // makes edges from lower to higher ids free to insert.
        rank = (0..<nodeCapacity).map { UInt32(truncatingIfNeeded: $0) }
        mark = Array(repeating: 0, count: nodeCapacity)
        parent = Array(repeating: 0, count: nodeCapacity)
    }

    /// Records that `from` is ordered before `to`, unless that would close a cycle.
    ///
    /// The verdict says exactly what happened; see `Insertion`. A cycle is
    /// reported even when the graph is full, because reporting stores nothing.
    /// `evidence` is evaluated only when the result is `.inserted`, so callers
    /// may pass expensive captures (stack traces) without paying for repeats.
    /// After any verdict, `insertEdge(from: a, to: b)` closes a cycle exactly
    /// when `isReachable(from: b, to: a)`.
    package mutating func insertEdge(
        from: UInt32, to: UInt32, evidence: @autoclosure () -> Evidence
    ) -> Insertion {
        guard Int(from) < nodeCapacity, Int(to) < nodeCapacity else { return .nodeOutOfRange }
        if from == to { return .wouldCloseCycle(path: [from]) }

        let key = Self.key(from, to)
        if let index = edges.index(forKey: key) {
            edges.values[index].count += 1
            return .alreadyPresent
        }

        if rank[Int(from)] < rank[Int(to)] {
            guard edges.count < edgeCapacity else { return .edgeCapacityExceeded }
        } else {
            // Take the buffers out of `self` so the sort comparators below can
            // read `rank` without overlapping access to `self`.
            var s = Scratch()
            swap(&s, &scratch)
            defer {
                s.clear()
                swap(&s, &scratch)
            }
            if searchForward(from: to, target: from, scratch: &s) {
                return .wouldCloseCycle(path: pathFromParents(start: to, end: from))
            }
            // Checked only now so that a full graph still reports cycles, and
            // before reordering so a refused edge leaves the ranks untouched.
            guard edges.count < edgeCapacity else { return .edgeCapacityExceeded }
            searchBackward(from: from, lowerBound: rank[Int(to)], scratch: &s)
            reassignRanks(scratch: &s)
        }

        edges[key] = EdgeRecord(count: 1, evidence: evidence())
        outEdges[Int(from)].append(to)
        inEdges[Int(to)].append(from)
        return .inserted
    }

    /// Whether the edge `from -> to` is stored.
    ///
    /// O(1) expected; false for out-of-range ids.
    package func hasEdge(from: UInt32, to: UInt32) -> Bool {
        edges[Self.key(from, to)] != nil
    }

    /// The evidence given when `from -> to` was first inserted, or nil if the
    /// edge is not stored.
    ///
    /// O(1) expected. Later `.alreadyPresent` inserts never replace it.
    package func evidence(from: UInt32, to: UInt32) -> Evidence? {
        edges[Self.key(from, to)]?.evidence
    }

    /// Changes the evidence of the stored edge `from -> to` in place (a caller that keeps more
    /// than the first sighting, such as what every sighting had in common). Does nothing when the
    /// edge is not stored. O(1) expected.
    package mutating func updateEvidence(from: UInt32, to: UInt32, _ body: (inout Evidence) -> Void) {
        guard let index = edges.index(forKey: Self.key(from, to)) else { return }
        body(&edges.values[index].evidence)
    }

    /// The nodes `node` has a stored edge to, unordered; empty for out-of-range ids. O(1).
    package func successors(of node: UInt32) -> [UInt32] {
        guard Int(node) < nodeCapacity else { return [] }
        return outEdges[Int(node)]
    }

    /// How many times `from -> to` has been inserted since it was stored.
    ///
    /// 0 when absent, 1 after the first insert, plus one per `.alreadyPresent`.
    /// O(1) expected.
    package func count(from: UInt32, to: UInt32) -> Int {
        edges[Self.key(from, to)]?.count ?? 0
    }

    /// Whether a path of stored edges leads from `from` to `to`.
    ///
    /// A node reaches itself through the empty path, which keeps the rule
    /// "inserting a -> b closes a cycle iff b reaches a" true for self edges.
    /// False for out-of-range ids. Allocates; meant for diagnostics and tests,
    /// not for the hot path.
    package func isReachable(from: UInt32, to: UInt32) -> Bool {
        guard Int(from) < nodeCapacity, Int(to) < nodeCapacity else { return false }
        if from == to { return true }
        let bound = rank[Int(to)]
        // Every path climbs in rank, so only nodes ranked below `to` can lie on one.
        if rank[Int(from)] > bound { return false }
        var seen: Set<UInt32> = [from]
        var stack: [UInt32] = [from]
        while let v = stack.popLast() {
            for w in outEdges[Int(v)] {
                if w == to { return true }
                if rank[Int(w)] < bound, seen.insert(w).inserted {
                    stack.append(w)
                }
            }
        }
        return false
    }

    /// Removes every edge into and out of `node`, e.g. when its lock class is destroyed.
    ///
    /// Afterwards the id behaves as a fresh node and may be reused. Removing
    /// edges cannot break the topological order, so no ranks change. A no-op
    /// for out-of-range ids. Returns the removed edges' evidence, so that a caller that
    /// budgets what evidence holds (stored backtraces) can take it back.
    @discardableResult
    package mutating func removeNode(_ node: UInt32) -> [Evidence] {
        guard Int(node) < nodeCapacity else { return [] }
        var removed: [Evidence] = []
        let successors = outEdges[Int(node)]
        outEdges[Int(node)] = []
        for w in successors {
            if let edge = edges.removeValue(forKey: Self.key(node, w)) { removed.append(edge.evidence) }
            Self.removeOne(node, from: &inEdges[Int(w)])
        }
        let predecessors = inEdges[Int(node)]
        inEdges[Int(node)] = []
        for u in predecessors {
            if let edge = edges.removeValue(forKey: Self.key(u, node)) { removed.append(edge.evidence) }
            Self.removeOne(node, from: &outEdges[Int(u)])
        }
        return removed
    }

    /// The number of stored edges.
    ///
    /// Never exceeds `edgeCapacity`.
    package var edgeCount: Int { edges.count }

    /// Every stored edge with its count and first evidence, sorted by `from`, then `to`.
    ///
    /// The order is deterministic so dumps of equal graphs are identical.
    /// O(e log e); allocates.
    package var allEdges: [(from: UInt32, to: UInt32, count: Int, evidence: Evidence)] {
        edges.sorted { $0.key < $1.key }.map { entry in
            (
                from: UInt32(truncatingIfNeeded: entry.key >> 32),
                to: UInt32(truncatingIfNeeded: entry.key),
                count: entry.value.count,
                evidence: entry.value.evidence
            )
        }
    }

    // MARK: - Internals

    private static func key(_ from: UInt32, _ to: UInt32) -> UInt64 {
        UInt64(from) << 32 | UInt64(to)
    }

    /// Adjacency lists are unordered, so swap-with-last keeps removal O(1)
    /// after the linear find.
    private static func removeOne(_ value: UInt32, from list: inout [UInt32]) {
        guard let index = list.firstIndex(of: value) else { return }
        list.swapAt(index, list.count - 1)
        list.removeLast()
    }

    /// A fresh mark value; resets all marks only when the counter would wrap,
    /// so ordinary searches cost nothing for unvisited nodes.
    private mutating func nextEpoch() -> UInt32 {
        if epoch == UInt32.max {
            for i in mark.indices { mark[i] = 0 }
            epoch = 0
        }
        epoch += 1
        return epoch
    }

    /// Depth-first search along out-edges from `start`, restricted to nodes
    /// ranked below `target`; any path to `target` must stay inside that window.
    ///
    /// Returns true as soon as `target` is reached (with `parent` describing
    /// the path); otherwise `s.forward` holds every visited node.
    private mutating func searchForward(
        from start: UInt32, target: UInt32, scratch s: inout Scratch
    ) -> Bool {
        let stamp = nextEpoch()
        let bound = rank[Int(target)]
        mark[Int(start)] = stamp
        s.stack.append(start)
        while let v = s.stack.popLast() {
            s.forward.append(v)
            for w in outEdges[Int(v)] {
                let wi = Int(w)
                if w == target {
                    parent[wi] = v
                    return true
                }
                if mark[wi] != stamp && rank[wi] < bound {
                    mark[wi] = stamp
                    parent[wi] = v
                    s.stack.append(w)
                }
            }
        }
        return false
    }

    /// Depth-first search along in-edges from `start`, restricted to nodes
    /// ranked above `lowerBound`: exactly the predecessors whose rank must move
    /// to make room for the new edge. Fills `s.backward`.
    private mutating func searchBackward(
        from start: UInt32, lowerBound: UInt32, scratch s: inout Scratch
    ) {
        let stamp = nextEpoch()
        mark[Int(start)] = stamp
        s.stack.append(start)
        while let v = s.stack.popLast() {
            s.backward.append(v)
            for w in inEdges[Int(v)] {
                let wi = Int(w)
                if mark[wi] != stamp && rank[wi] > lowerBound {
                    mark[wi] = stamp
                    s.stack.append(w)
                }
            }
        }
    }

    /// Redistributes the ranks already held by the two visited sets so that
    /// every backward node precedes every forward node while each set keeps
    /// its internal order; nodes outside the sets are untouched.
    private mutating func reassignRanks(scratch s: inout Scratch) {
        s.backward.sort { rank[Int($0)] < rank[Int($1)] }
        s.forward.sort { rank[Int($0)] < rank[Int($1)] }
        for v in s.backward { s.ranks.append(rank[Int(v)]) }
        for v in s.forward { s.ranks.append(rank[Int(v)]) }
        s.ranks.sort()
        var next = 0
        for v in s.backward {
            rank[Int(v)] = s.ranks[next]
            next += 1
        }
        for v in s.forward {
            rank[Int(v)] = s.ranks[next]
            next += 1
        }
    }

    /// Walks `parent` back from `end` to `start` and returns the path in
    /// forward order, `start` first.
    private func pathFromParents(start: UInt32, end: UInt32) -> [UInt32] {
        var path: [UInt32] = [end]
        var node = end
        while node != start {
            node = parent[Int(node)]
            path.append(node)
        }
        path.reverse()
        return path
    }

    /// A description of the first broken internal invariant, or nil when the
    /// ranks form a topological permutation and the adjacency lists match the
    /// edge table exactly. O(n + e); for tests.
    func invariantViolation() -> String? {
        var rankSeen = Array(repeating: false, count: nodeCapacity)
        for node in 0..<nodeCapacity {
            let r = Int(rank[node])
            if r >= nodeCapacity || rankSeen[r] { return "rank of \(node) is not a permutation entry" }
            rankSeen[r] = true
        }
        var outTotal = 0
        var inTotal = 0
        for node in 0..<nodeCapacity {
            let from = UInt32(truncatingIfNeeded: node)
            let succ = outEdges[node]
            if Set(succ).count != succ.count { return "duplicate successor of \(node)" }
            for to in succ {
                if edges[Self.key(from, to)] == nil { return "\(from)->\(to) in outEdges only" }
                if !inEdges[Int(to)].contains(from) { return "\(from)->\(to) missing from inEdges" }
                if rank[node] >= rank[Int(to)] { return "\(from)->\(to) violates rank order" }
            }
            outTotal += succ.count
            let pred = inEdges[node]
            if Set(pred).count != pred.count { return "duplicate predecessor of \(node)" }
            inTotal += pred.count
        }
        if outTotal != edges.count || inTotal != edges.count {
            return "adjacency sizes \(outTotal)/\(inTotal) differ from \(edges.count) edges"
        }
        return nil
    }
}

extension OrderGraph: Sendable where Evidence: Sendable {}
extension OrderGraph.EdgeRecord: Sendable where Evidence: Sendable {}
