import Testing

@testable import LockOrderGraph

// MARK: - Helpers

/// Deterministic generator so failures reproduce exactly from the seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: Int.random(in: 0..<n, using: &self))
    }
}

/// Obviously-correct reference: adjacency sets and breadth-first reachability.
struct NaiveGraph {
    var successors: [Set<UInt32>]
    var records: [UInt64: (count: Int, evidence: Int)] = [:]

    init(nodes: Int) { successors = Array(repeating: [], count: nodes) }

    static func key(_ a: UInt32, _ b: UInt32) -> UInt64 { UInt64(a) << 32 | UInt64(b) }

    func hasEdge(_ a: UInt32, _ b: UInt32) -> Bool { successors[Int(a)].contains(b) }

    func reaches(_ a: UInt32, _ b: UInt32) -> Bool {
        if a == b { return true }
        var seen: Set<UInt32> = [a]
        var queue: [UInt32] = [a]
        var head = 0
        while head < queue.count {
            let v = queue[head]
            head += 1
            for w in successors[Int(v)] {
                if w == b { return true }
                if seen.insert(w).inserted { queue.append(w) }
            }
        }
        return false
    }

    mutating func insert(_ a: UInt32, _ b: UInt32, evidence: Int) {
        successors[Int(a)].insert(b)
        records[Self.key(a, b)] = (1, evidence)
    }

    mutating func remove(_ n: UInt32) {
        for w in successors[Int(n)] { records[Self.key(n, w)] = nil }
        successors[Int(n)] = []
        for u in successors.indices where successors[u].remove(n) != nil {
            records[Self.key(UInt32(u), n)] = nil
        }
    }

    var edgeCount: Int { records.count }
}

/// True when `path` is a simple path from `start` to `end` along the model's edges.
func isRealPath(_ path: [UInt32], from start: UInt32, to end: UInt32, in model: NaiveGraph) -> Bool {
    guard path.first == start, path.last == end, Set(path).count == path.count else { return false }
    for i in path.indices.dropLast() where !model.hasEdge(path[i], path[i + 1]) { return false }
    return true
}

func edgeList<E>(_ g: OrderGraph<E>) -> [[UInt32]] {
    g.allEdges.map { [$0.from, $0.to] }
}

// MARK: - Exact fixtures

@Test func twoCycleReportsExactPath() {
    var g = OrderGraph<String>(nodeCapacity: 4, edgeCapacity: 16)
    #expect(g.insertEdge(from: 0, to: 1, evidence: "A->B") == .inserted)
    #expect(g.insertEdge(from: 1, to: 0, evidence: "B->A") == .wouldCloseCycle(path: [0, 1]))
    #expect(g.edgeCount == 1)
    #expect(!g.hasEdge(from: 1, to: 0))
    #expect(g.count(from: 1, to: 0) == 0)
    #expect(g.evidence(from: 1, to: 0) == nil)
    #expect(g.invariantViolation() == nil)
}

@Test func threeCycleReportsExactPath() {
    var g = OrderGraph<String>(nodeCapacity: 3, edgeCapacity: 16)
    #expect(g.insertEdge(from: 0, to: 1, evidence: "A->B") == .inserted)
    #expect(g.insertEdge(from: 1, to: 2, evidence: "B->C") == .inserted)
    #expect(g.insertEdge(from: 2, to: 0, evidence: "C->A") == .wouldCloseCycle(path: [0, 1, 2]))
    #expect(edgeList(g) == [[0, 1], [1, 2]])
    #expect(g.isReachable(from: 0, to: 2))
    #expect(!g.isReachable(from: 2, to: 0))
}

@Test func cycleFoundAgainstInitialOrder() {
    // Ids chosen so that both edges contradict the initial identity ranks,
    // forcing a reorder before the cycle check.
    var g = OrderGraph<Int>(nodeCapacity: 10, edgeCapacity: 16)
    #expect(g.insertEdge(from: 9, to: 5, evidence: 1) == .inserted)
    #expect(g.insertEdge(from: 5, to: 2, evidence: 2) == .inserted)
    #expect(g.invariantViolation() == nil)
    #expect(g.insertEdge(from: 2, to: 9, evidence: 3) == .wouldCloseCycle(path: [9, 5, 2]))
    #expect(g.insertEdge(from: 9, to: 2, evidence: 4) == .inserted)
    #expect(g.edgeCount == 3)
}

@Test func selfEdgeIsACycleOfOne() {
    var g = OrderGraph<Int>(nodeCapacity: 4, edgeCapacity: 16)
    #expect(g.insertEdge(from: 3, to: 3, evidence: 0) == .wouldCloseCycle(path: [3]))
    #expect(g.edgeCount == 0)
    #expect(!g.hasEdge(from: 3, to: 3))
    #expect(g.isReachable(from: 3, to: 3))
}

@Test func repeatsCountAndKeepFirstEvidence() {
    var g = OrderGraph<String>(nodeCapacity: 4, edgeCapacity: 16)
    #expect(g.count(from: 0, to: 1) == 0)
    #expect(g.insertEdge(from: 0, to: 1, evidence: "first") == .inserted)
    #expect(g.count(from: 0, to: 1) == 1)
    #expect(g.insertEdge(from: 0, to: 1, evidence: "second") == .alreadyPresent)
    #expect(g.insertEdge(from: 0, to: 1, evidence: "third") == .alreadyPresent)
    #expect(g.count(from: 0, to: 1) == 3)
    #expect(g.evidence(from: 0, to: 1) == "first")
    #expect(g.edgeCount == 1)
}

@Test func evidenceEvaluatedOnlyWhenInserted() {
    var g = OrderGraph<Int>(nodeCapacity: 4, edgeCapacity: 2)
    var evaluations = 0
    func make() -> Int {
        evaluations += 1
        return evaluations
    }
    #expect(g.insertEdge(from: 0, to: 1, evidence: make()) == .inserted)
    #expect(g.insertEdge(from: 0, to: 1, evidence: make()) == .alreadyPresent)
    #expect(g.insertEdge(from: 1, to: 0, evidence: make()) == .wouldCloseCycle(path: [0, 1]))
    #expect(g.insertEdge(from: 2, to: 2, evidence: make()) == .wouldCloseCycle(path: [2]))
    #expect(g.insertEdge(from: 9, to: 0, evidence: make()) == .nodeOutOfRange)
    #expect(g.insertEdge(from: 2, to: 1, evidence: make()) == .inserted)
    #expect(g.insertEdge(from: 3, to: 1, evidence: make()) == .edgeCapacityExceeded)
    #expect(evaluations == 2)
    #expect(g.evidence(from: 2, to: 1) == 2)
}

@Test func allEdgesIsSortedWithCountsAndEvidence() {
    var g = OrderGraph<String>(nodeCapacity: 8, edgeCapacity: 16)
    for (a, b) in [(5, 7), (0, 6), (5, 1), (0, 2), (3, 1)] as [(UInt32, UInt32)] {
        #expect(g.insertEdge(from: a, to: b, evidence: "\(a)\(b)") == .inserted)
    }
    #expect(g.insertEdge(from: 5, to: 1, evidence: "x") == .alreadyPresent)
    let dump = g.allEdges
    #expect(dump.map { [$0.from, $0.to] } == [[0, 2], [0, 6], [3, 1], [5, 1], [5, 7]])
    #expect(dump.map(\.count) == [1, 1, 1, 2, 1])
    #expect(dump.map(\.evidence) == ["02", "06", "31", "51", "57"])
}

// MARK: - Capacity and range

@Test func edgeCapacityRefusesNewEdgesOnly() {
    var g = OrderGraph<Int>(nodeCapacity: 8, edgeCapacity: 3)
    #expect(g.insertEdge(from: 0, to: 1, evidence: 1) == .inserted)
    #expect(g.insertEdge(from: 1, to: 2, evidence: 2) == .inserted)
    #expect(g.insertEdge(from: 6, to: 3, evidence: 3) == .inserted)
    let before = edgeList(g)
    // One edge agreeing with the current order, one contradicting it.
    #expect(g.insertEdge(from: 3, to: 4, evidence: 4) == .edgeCapacityExceeded)
    #expect(g.insertEdge(from: 5, to: 0, evidence: 5) == .edgeCapacityExceeded)
    #expect(g.edgeCount == 3)
    #expect(!g.hasEdge(from: 3, to: 4))
    #expect(!g.hasEdge(from: 5, to: 0))
    #expect(edgeList(g) == before)
    #expect(g.invariantViolation() == nil)
    // A full graph still counts repeats and still reports cycles.
    #expect(g.insertEdge(from: 0, to: 1, evidence: 9) == .alreadyPresent)
    #expect(g.count(from: 0, to: 1) == 2)
    #expect(g.insertEdge(from: 2, to: 0, evidence: 9) == .wouldCloseCycle(path: [0, 1, 2]))
    // Freeing room makes insertion possible again.
    g.removeNode(6)
    #expect(g.insertEdge(from: 3, to: 4, evidence: 4) == .inserted)
    #expect(g.edgeCount == 3)
}

@Test func zeroEdgeCapacity() {
    var g = OrderGraph<Int>(nodeCapacity: 2, edgeCapacity: 0)
    #expect(g.insertEdge(from: 0, to: 1, evidence: 0) == .edgeCapacityExceeded)
    #expect(g.edgeCount == 0)
}

@Test func nodeIdsOutOfRange() {
    var g = OrderGraph<Int>(nodeCapacity: 4, edgeCapacity: 8)
    #expect(g.insertEdge(from: 4, to: 0, evidence: 0) == .nodeOutOfRange)
    #expect(g.insertEdge(from: 0, to: 4, evidence: 0) == .nodeOutOfRange)
    #expect(g.insertEdge(from: 4, to: 4, evidence: 0) == .nodeOutOfRange)
    #expect(g.insertEdge(from: UInt32.max, to: 1, evidence: 0) == .nodeOutOfRange)
    #expect(g.insertEdge(from: 3, to: 0, evidence: 0) == .inserted)
    #expect(g.edgeCount == 1)
    #expect(!g.hasEdge(from: 0, to: 4))
    #expect(g.count(from: 4, to: 0) == 0)
    #expect(!g.isReachable(from: 3, to: 9))
    #expect(!g.isReachable(from: 9, to: 9))
    g.removeNode(100)
    #expect(g.edgeCount == 1)
}

// MARK: - removeNode

@Test func removingMiddleNodeAllowsReverseEdge() {
    var g = OrderGraph<Int>(nodeCapacity: 3, edgeCapacity: 8)
    let (a, b, c): (UInt32, UInt32, UInt32) = (0, 1, 2)
    #expect(g.insertEdge(from: a, to: b, evidence: 1) == .inserted)
    #expect(g.insertEdge(from: b, to: c, evidence: 2) == .inserted)
    #expect(g.insertEdge(from: c, to: a, evidence: 3) == .wouldCloseCycle(path: [a, b, c]))
    g.removeNode(b)
    #expect(g.edgeCount == 0)
    #expect(!g.isReachable(from: a, to: c))
    #expect(g.insertEdge(from: c, to: a, evidence: 3) == .inserted)
    #expect(g.invariantViolation() == nil)
}

@Test func reusedIdIsFresh() {
    var g = OrderGraph<String>(nodeCapacity: 5, edgeCapacity: 16)
    #expect(g.insertEdge(from: 0, to: 2, evidence: "old in") == .inserted)
    #expect(g.insertEdge(from: 2, to: 4, evidence: "old out") == .inserted)
    #expect(g.insertEdge(from: 1, to: 4, evidence: "keep") == .inserted)
    g.removeNode(2)
    #expect(edgeList(g) == [[1, 4]])
    for other: UInt32 in 0..<5 {
        #expect(!g.hasEdge(from: 2, to: other))
        #expect(!g.hasEdge(from: other, to: 2))
        #expect(g.count(from: other, to: 2) == 0)
        #expect(g.evidence(from: 2, to: other) == nil)
    }
    // The reused id may now sit on either side of its former neighbours.
    #expect(g.insertEdge(from: 4, to: 2, evidence: "new") == .inserted)
    #expect(g.insertEdge(from: 2, to: 0, evidence: "new") == .inserted)
    #expect(g.count(from: 4, to: 2) == 1)
    #expect(g.evidence(from: 4, to: 2) == "new")
    #expect(g.invariantViolation() == nil)
}

// MARK: - Randomised differential test

@Test func matchesNaiveModelOnRandomOperations() throws {
    let nodes = 40
    var rng = SplitMix64(seed: 0x5EED_0001)
    var opNumber = 0
    var verdicts: [String: Int] = [:]
    for round in 0..<50 {
        var g = OrderGraph<Int>(nodeCapacity: nodes, edgeCapacity: 10_000)
        var model = NaiveGraph(nodes: nodes)
        for _ in 0..<300 {
            opNumber += 1
            let a = rng.below(nodes)
            let b = rng.below(nodes)
            if rng.below(100) < 3 {
                g.removeNode(a)
                model.remove(a)
                verdicts["remove", default: 0] += 1
            } else {
                let result = g.insertEdge(from: a, to: b, evidence: opNumber)
                let context = "round \(round) op \(opNumber): \(a)->\(b) gave \(result)"
                if model.hasEdge(a, b) {
                    try #require(result == .alreadyPresent, "\(context)")
                    model.records[NaiveGraph.key(a, b)]!.count += 1
                    verdicts["present", default: 0] += 1
                } else if model.reaches(b, a) {
                    guard case .wouldCloseCycle(let path) = result else {
                        Issue.record("expected cycle: \(context)")
                        return
                    }
                    try #require(isRealPath(path, from: b, to: a, in: model), "\(context)")
                    verdicts["cycle", default: 0] += 1
                } else {
                    try #require(result == .inserted, "\(context)")
                    model.insert(a, b, evidence: opNumber)
                    verdicts["inserted", default: 0] += 1
                }
                let expectedCount = model.records[NaiveGraph.key(a, b)]?.count ?? 0
                try #require(g.count(from: a, to: b) == expectedCount, "\(context)")
            }
            try #require(g.edgeCount == model.edgeCount)
            if let violation = g.invariantViolation() {
                Issue.record("round \(round) op \(opNumber): \(violation)")
                return
            }
            for _ in 0..<8 {
                let x = rng.below(nodes)
                let y = rng.below(nodes)
                try #require(
                    g.isReachable(from: x, to: y) == model.reaches(x, y),
                    "round \(round) op \(opNumber): reach \(x)->\(y)")
            }
        }
        let expected = model.records.sorted { $0.key < $1.key }.map {
            [Int($0.key >> 32), Int($0.key & 0xFFFF_FFFF), $0.value.count, $0.value.evidence]
        }
        let actual = g.allEdges.map { [Int($0.from), Int($0.to), $0.count, $0.evidence] }
        try #require(actual == expected, "round \(round) dump")
    }
    // Guard against a generator that never exercises the interesting paths.
    #expect(verdicts["cycle", default: 0] > 1_000)
    #expect(verdicts["inserted", default: 0] > 1_000)
    #expect(verdicts["present", default: 0] > 100)
    #expect(verdicts["remove", default: 0] > 100)
}

// MARK: - Scale

@Test func shuffledForwardEdgesOfRandomDAGAreAllAccepted() throws {
    let nodes = 200
    var rng = SplitMix64(seed: 0xDA6)
    let order = (0..<UInt32(nodes)).shuffled(using: &rng)
    var seen: Set<UInt64> = []
    var edges: [(UInt32, UInt32)] = []
    while edges.count < 2_000 {
        let i = Int(rng.below(nodes))
        let j = Int(rng.below(nodes))
        guard i < j else { continue }
        let (a, b) = (order[i], order[j])
        if seen.insert(NaiveGraph.key(a, b)).inserted { edges.append((a, b)) }
    }
    edges.shuffle(using: &rng)
    var g = OrderGraph<Int>(nodeCapacity: nodes, edgeCapacity: 2_000)
    for (index, (a, b)) in edges.enumerated() {
        try #require(g.insertEdge(from: a, to: b, evidence: index) == .inserted, "edge \(index)")
    }
    let edgeCount = g.edgeCount
    let violation = g.invariantViolation()
    #expect(edgeCount == 2_000)
    #expect(violation == nil)
    // Every edge reversed must now be refused with a real path.
    var model = NaiveGraph(nodes: nodes)
    for (a, b) in edges { model.insert(a, b, evidence: 0) }
    for (a, b) in edges.prefix(200) {
        guard case .wouldCloseCycle(let path) = g.insertEdge(from: b, to: a, evidence: -1) else {
            Issue.record("reverse of \(a)->\(b) accepted")
            return
        }
        #expect(isRealPath(path, from: a, to: b, in: model))
    }
    let finalCount = g.edgeCount
    #expect(finalCount == 2_000)
}

@Test func deepChainClosingEdgeFindsFullPath() {
    let n = 100_000
    var g = OrderGraph<Int>(nodeCapacity: n, edgeCapacity: n)
    var allInserted = true
    for i in stride(from: n - 2, through: 0, by: -1) {
        allInserted =
            allInserted
            && g.insertEdge(from: UInt32(i), to: UInt32(i + 1), evidence: i) == .inserted
    }
    #expect(allInserted)
    // Results are bound first so a failure does not dump the whole graph.
    let reachable = g.isReachable(from: 0, to: UInt32(n - 1))
    #expect(reachable)
    let result = g.insertEdge(from: UInt32(n - 1), to: 0, evidence: -1)
    let expectedPath = Array(0..<UInt32(n))
    #expect(result == .wouldCloseCycle(path: expectedPath), "path differs")
    let edgeCount = g.edgeCount
    #expect(edgeCount == n - 1)
}

@Test func chainAgainstInitialOrderIsReordered() {
    // Each edge contradicts the identity ranks, so every insert reorders the
    // whole chain so far: exercises deep backward searches and rank moves.
    let n = 1_000
    var g = OrderGraph<Int>(nodeCapacity: n, edgeCapacity: n)
    var allInserted = true
    for i in 0..<(n - 1) {
        allInserted =
            allInserted
            && g.insertEdge(from: UInt32(i + 1), to: UInt32(i), evidence: i) == .inserted
    }
    #expect(allInserted)
    // Results are bound first so a failure does not dump the whole graph.
    let violation = g.invariantViolation()
    #expect(violation == nil)
    let result = g.insertEdge(from: 0, to: UInt32(n - 1), evidence: -1)
    let expectedPath = Array((0..<UInt32(n)).reversed())
    #expect(result == .wouldCloseCycle(path: expectedPath), "path differs")
    let backward = g.isReachable(from: UInt32(n - 1), to: 0)
    let forward = g.isReachable(from: 0, to: 1)
    #expect(backward)
    #expect(!forward)
}

@Test func updateEvidenceChangesOnlyAStoredEdge() {
    var g = OrderGraph<[Int]>(nodeCapacity: 4, edgeCapacity: 16)
    #expect(g.insertEdge(from: 0, to: 1, evidence: [1, 2]) == .inserted)
    g.updateEvidence(from: 0, to: 1) { $0.removeAll { $0 == 1 } }
    g.updateEvidence(from: 1, to: 0) { $0 = [9] }
    #expect(g.evidence(from: 0, to: 1) == [2])
    #expect(g.evidence(from: 1, to: 0) == nil)
    #expect(g.count(from: 0, to: 1) == 1)
    #expect(g.invariantViolation() == nil)
}

@Test func successorsListStoredEdgesOnly() {
    var g = OrderGraph<Int>(nodeCapacity: 4, edgeCapacity: 16)
    #expect(g.insertEdge(from: 0, to: 1, evidence: 0) == .inserted)
    #expect(g.insertEdge(from: 0, to: 2, evidence: 0) == .inserted)
    #expect(g.insertEdge(from: 2, to: 0, evidence: 0) == .wouldCloseCycle(path: [0, 2]))
    #expect(Set(g.successors(of: 0)) == [1, 2])
    #expect(g.successors(of: 2).isEmpty)
    #expect(g.successors(of: 9).isEmpty)
    g.removeNode(1)
    #expect(g.successors(of: 0) == [2])
}
