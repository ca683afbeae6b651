import LockCore
import LockOrderTestSupport
import Testing

@testable import LockOrderChecker

/// The rules of the learned order (docs/graph.md), one test per rule, each with the control
/// that shows the setup would report if the rule did not hold.
@Suite("Learned order: the rules", .serialized)
struct LearnedOrderRuleTests {
    // MARK: Cycles and their evidence

    @Test("ABBCCA on three threads, each holding two locks: one order_cycle, three edges with their evidence")
    func threeThreadCycle() throws {
        let sites = SiteLog()
        let a = sites.at("create A") { CheckedMutex("A") }
        let b = sites.at("create B") { CheckedMutex("B") }
        let c = sites.at("create C") { CheckedMutex("C") }
        let serials = [ThreadResult<UInt64>(), ThreadResult<UInt64>(), ThreadResult<UInt64>()]
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            TestThread.runAndWait {
                serials[0].set(ThreadIdentity.current)
                sites.at("T1 holds A") { a.lock() }
                sites.at("T1 takes B") { b.lock() }
                b.unlock()
                a.unlock()
            }
            TestThread.runAndWait {
                serials[1].set(ThreadIdentity.current)
                sites.at("T2 holds B") { b.lock() }
                sites.at("T2 takes C") { c.lock() }
                c.unlock()
                b.unlock()
            }
            TestThread.runAndWait {
                serials[2].set(ThreadIdentity.current)
                sites.at("T3 holds C") { c.lock() }
                sites.at("T3 takes A") { a.lock() }
                a.unlock()
                c.unlock()
            }
        }
        try #require(violations.count == 1, "\(violations.map(\.message))")
        let violation = violations[0]
        #expect(violation.kind == .orderCycle)
        #expect(violation.count == 1)
        let nameA = sites.className("A", createdAt: "create A")
        let nameB = sites.className("B", createdAt: "create B")
        let nameC = sites.className("C", createdAt: "create C")
        #expect(cyclePairs(violation) == [[nameC, nameA], [nameA, nameB], [nameB, nameC]])
        let cycle = try #require(violation.cycle)
        try #require(cycle.count == 3)
        // The edge being refused now, seen by T3.
        #expect(cycle[0].heldAt == sites["T3 holds C"])
        #expect(cycle[0].acquiredAt == sites["T3 takes A"])
        #expect(cycle[0].thread == "this thread (this acquisition)")
        #expect(violation.thread.hasPrefix("thread \(serials[2].value ?? 0) ("), "\(violation.thread)")
        #expect(violation.site == sites["T3 takes A"])
        // The learned edges, each where and by whom it was first seen.
        #expect(cycle[1].heldAt == sites["T1 holds A"])
        #expect(cycle[1].acquiredAt == sites["T1 takes B"])
        #expect(cycle[1].thread.hasPrefix("thread \(serials[0].value ?? 0) ("), "\(cycle[1].thread)")
        #expect(cycle[2].heldAt == sites["T2 holds B"])
        #expect(cycle[2].acquiredAt == sites["T2 takes C"])
        #expect(cycle[2].thread.hasPrefix("thread \(serials[1].value ?? 0) ("), "\(cycle[2].thread)")
        #expect(Set([serials[0].value, serials[1].value, serials[2].value]).count == 3)
        // The printed report lists the same edges.
        // The classes by their locks' names (each class's site once, in the locks: section).
        let lines = violation.text.split(separator: "\n").map(String.init)
        #expect(lines.contains("    A: the class of locks created at \(sites["create A"])"), "\(lines)")
        #expect(lines.contains("    A -> B by \(cycle[1].thread)"), "\(lines)")
        #expect(
            lines.contains(
                "      its stack then (the thread started in LockOrderTestSupport.testThreadMain):"),
            "\(lines)")
        #expect(
            lines.contains("      took A at \(sites["T1 holds A"])")
                && lines.contains("      then B at \(sites["T1 takes B"])"),
            "\(lines)")
    }

    @Test("a two-lock inversion shows both stacks: the report's own and the earlier edge's, demangled")
    func twoLockInversionShowsBothStacks() throws {
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            TestThread.runAndWait { takeInOrder(a, b) }
            TestThread.runAndWait { takeInOrder(b, a) }
        }
        try #require(violations.count == 1, "\(violations.map(\.message))")
        let violation = violations[0]
        #expect(violation.kind == .orderCycle)
        let cycle = try #require(violation.cycle)
        try #require(cycle.count == 2)
        let takeInOrderName = "LockOrderCheckerTests.takeInOrder("
        // This acquisition's stack is the report's own backtrace.
        #expect(
            violation.frames.first?.function?.hasPrefix(takeInOrderName) == true,
            "\(violation.frames.prefix(3))")
        #expect(cycle[0].frames.isEmpty)
        // The earlier edge A -> B keeps the stack of the thread that first made it.
        let earlier = cycle[1].frames
        #expect(!earlier.isEmpty)
        #expect(earlier.first?.function?.hasPrefix(takeInOrderName) == true, "\(earlier.prefix(3))")
        #expect(!earlier.contains { $0.function?.hasPrefix("$s") == true }, "no mangled name is left")
        #expect(violation.text.contains("        #0 0x"), "the edge's frames are printed under it")
        // Both locks of every edge, by their own names, each with where it was taken.
        #expect(cycle[1].fromLock == "A")
        #expect(cycle[1].toLock == "B")
        #expect(cycle[0].fromLock == "B")
        #expect(cycle[0].toLock == "A")
        let lines = violation.text.split(separator: "\n").map(String.init)
        #expect(lines.contains("    A -> B by \(cycle[1].thread)"), "\(lines)")
        #expect(
            lines.contains(
                "      its stack then (the thread started in LockOrderTestSupport.testThreadMain):"),
            "\(lines)")
        #expect(
            lines.contains("      took A at \(cycle[1].heldAt)")
                && lines.contains("      then B at \(cycle[1].acquiredAt)"), "\(lines)"
        )
        #expect(lines.contains("    B -> A by this thread (its stack is the backtrace below)"), "\(lines)")
        #expect(
            lines.contains("      took B at \(cycle[0].heldAt)")
                && lines.contains("      then A at \(cycle[0].acquiredAt)"), "\(lines)"
        )
        // The deadlock this order allows: the earlier thread holds A and waits for B, this one
        // holds B and waits for A.
        let rows = try #require(violation.deadlock)
        #expect(
            rows == [
                DeadlockRow(thread: cycle[1].thread, holds: "A", waitsFor: "B"),
                DeadlockRow(thread: violation.thread, holds: "B", waitsFor: "A"),
            ])
        #expect(cycle[1].thread != violation.thread, "two threads made the two edges")
        let width = max(cycle[1].thread.count, violation.thread.count)
        let pad = { (text: String) in text + String(repeating: " ", count: width - text.count) }
        let titleAt = try #require(lines.firstIndex { $0.hasPrefix("  deadlock (") }, "\(lines)")
        #expect(
            Array(lines[(titleAt + 1)...(titleAt + 2)]) == [
                "    \(pad(cycle[1].thread))  holds A, waits for B",
                "    \(pad(violation.thread))  holds B, waits for A",
            ])
    }

    @Test("one thread that makes both edges of a cycle: the picture's second row is another thread")
    func oneThreadCyclePictureNamesAnotherThread() throws {
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            takeInOrder(a, b)
            takeInOrder(b, a)
        }
        try #require(violations.count == 1, "\(violations.map(\.message))")
        #expect(
            violations[0].deadlock == [
                DeadlockRow(thread: violations[0].thread, holds: "A", waitsFor: "B"),
                DeadlockRow(thread: "another thread", holds: "B", waitsFor: "A"),
            ])
    }

    @Test("the steady state captures no stack: only a new edge does, once however many locks are held")
    func steadyStateCapturesNoStack() {
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        let c = CheckedMutex("C")
        var learning = 0
        var steady = 0
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            let before = Backtrace.captureCount.load(ordering: .relaxed)
            a.lock()
            b.lock()
            c.lock()  // two new edges at once, A -> C and B -> C: one stack
            c.unlock()
            b.unlock()
            a.unlock()
            let learned = Backtrace.captureCount.load(ordering: .relaxed)
            learning = learned - before
            for _ in 0..<1000 {
                a.lock()
                b.lock()
                c.lock()
                c.unlock()
                b.unlock()
                a.unlock()
            }
            steady = Backtrace.captureCount.load(ordering: .relaxed) - learned
        }
        #expect(violations.isEmpty, "\(violations)")
        #expect(learning == 2, "A -> B, then A -> C and B -> C with one stack")
        #expect(steady == 0, "1000 repeats of a learned chain capture nothing")
    }

    // MARK: Destroyed instance classes

    @Test("an inversion through a destroyed instance-classed lock is no cycle: its order was forgotten")
    func destroyedInstanceClassForgetsOrder() {
        let a = CheckedMutex("A", class: .instance)
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            do {
                let b = CheckedMutex("B", class: .instance)
                withExtendedLifetime(b) {
                    takeInOrder(a, b)
                    #expect(LockOrder.learnedGraph().edges.count == 1)
                }
            }  // b is destroyed here, and A -> B with it
            #expect(LockOrder.learnedGraph().edges.isEmpty, "A -> B was forgotten with B")
            let replacement = CheckedMutex("B'", class: .instance)
            takeInOrder(replacement, a)
            let edges = LockOrder.learnedGraph().edges
            #expect(edges.count == 1)
            #expect(
                edges.first.map { $0.from.hasPrefix("B' #") && $0.to.hasPrefix("A #") } == true, "\(edges)")
        }
        #expect(violations.isEmpty, "\(violations.map(\.message))")
    }

    @Test("control: the same inversion with the instance-classed lock still alive is an order_cycle")
    func liveInstanceClassKeepsOrder() throws {
        let a = CheckedMutex("A", class: .instance)
        let b = CheckedMutex("B", class: .instance)
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            takeInOrder(a, b)
            takeInOrder(b, a)
        }
        try #require(violations.count == 1, "\(violations.map(\.message))")
        #expect(violations[0].kind == .orderCycle)
        #expect(violations[0].cycle?.map(\.from).map { $0.prefix(3) } == ["B #", "A #"])
    }

    @Test(
        "two locks of one creation-site class nested: no class edge, ordered by instance (R32); instance classes: a class cycle"
    )
    func sameClassNestingIsOrderedByInstance() throws {
        func make(_ name: String, _ lockClass: LockClass) -> CheckedMutex {
            CheckedMutex(name, class: lockClass)  // one line: every lock made here is one class
        }
        let first = make("first", .creationSite)
        let second = make("second", .creationSite)
        var classEdges = -1
        let sameClass = LockOrder.withCheckingFindings(hierarchy: .julia, learnsOrder: true) {
            takeInOrder(first, second)
            classEdges = CheckerState.shared.tables.withLock { $0.learned.graph.edgeCount }
            takeInOrder(second, first)
        }
        #expect(classEdges == 0, "a class is never ordered before itself")
        try #require(sameClass.count == 1, "\(sameClass.map(\.violation.message))")
        guard case .instanceCycle(let path, _) = sameClass[0].finding?.reason else {
            Issue.record("not an instance cycle: \(sameClass[0].violation.message)")
            return
        }
        #expect(path == ["second", "first", "second"])
        let firstInstance = make("first", .instance)
        let secondInstance = make("second", .instance)
        let instances = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            takeInOrder(firstInstance, secondInstance)
            takeInOrder(secondInstance, firstInstance)
        }
        try #require(instances.count == 1, "\(instances.map(\.message))")
        #expect(instances[0].kind == .orderCycle)
    }

    // MARK: Trylock

    @Test("a successful trylock closes no cycle: hold B, tryLock A after A -> B was learned")
    func tryLockClosesNoCycle() throws {
        let sites = SiteLog()
        let a = sites.at("create A") { CheckedMutex("A") }
        let b = sites.at("create B") { CheckedMutex("B") }
        let nameA = sites.className("A", createdAt: "create A")
        let nameB = sites.className("B", createdAt: "create B")
        var tookA = false
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            takeInOrder(a, b)
            b.lock()
            tookA = a.tryLock()
            if tookA { a.unlock() }
            b.unlock()
            let graph = LockOrder.learnedGraph()
            #expect(learnedEdge(graph, from: nameA, to: nameB) != nil)
            #expect(learnedEdge(graph, from: nameB, to: nameA) == nil, "a trylock adds no edge into itself")
        }
        #expect(tookA)
        #expect(violations.isEmpty, "\(violations.map(\.message))")
        // Control: the same acquisition, blocking, is the ABBA cycle.
        let blocking = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            takeInOrder(a, b)
            takeInOrder(b, a)
        }
        try #require(blocking.count == 1, "\(blocking.map(\.message))")
        #expect(cyclePairs(blocking[0]) == [[nameB, nameA], [nameA, nameB]])
    }

    @Test("a lock held through a trylock orders later acquisitions: A (trylock) -> C, then C -> A is a cycle")
    func tryLockHeldOrdersLaterAcquisitions() throws {
        let sites = SiteLog()
        let a = sites.at("create A") { CheckedMutex("A") }
        let c = sites.at("create C") { CheckedMutex("C") }
        let nameA = sites.className("A", createdAt: "create A")
        let nameC = sites.className("C", createdAt: "create C")
        let edgeAfterTryLock = ThreadResult<LearnedOrderSnapshot.OrderEdge>()
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            TestThread.runAndWait {
                let took = sites.at("trylock A") { a.tryLock() }
                guard took else { return }
                sites.at("take C") { c.lock() }
                c.unlock()
                a.unlock()
                if let edge = learnedEdge(LockOrder.learnedGraph(), from: nameA, to: nameC) {
                    edgeAfterTryLock.set(edge)
                }
            }
            TestThread.runAndWait { takeInOrder(c, a) }
        }
        let edge = try #require(edgeAfterTryLock.value, "no edge A -> C after holding A through a trylock")
        #expect(edge.heldAt == sites["trylock A"])
        #expect(edge.acquiredAt == sites["take C"])
        try #require(violations.count == 1, "\(violations.map(\.message))")
        #expect(violations[0].kind == .orderCycle)
        #expect(cyclePairs(violations[0]) == [[nameC, nameA], [nameA, nameC]])
        #expect(violations[0].cycle?[1].heldAt == sites["trylock A"])
    }

    // MARK: Level rules come first

    @Test("an acquisition reported by a level rule is not reported again as a cycle, and adds no edge")
    func levelViolationIsNotAlsoACycle() throws {
        let hierarchy = try LockHierarchy(
            name: "learned-order-test",
            locks: [
                DeclaredLock(name: "graph.outer", level: 7), DeclaredLock(name: "graph.inner", level: 3),
                DeclaredLock(name: "graph.leaf", level: 1),
            ])
        let outer = CheckedMutex(declared: "graph.outer")
        let inner = CheckedMutex(declared: "graph.inner")
        let leaf = CheckedMutex(declared: "graph.leaf")
        var graph: LearnedOrderSnapshot?
        let violations = LockOrder.withChecking(hierarchy: hierarchy, learnsOrder: true) {
            leaf.withLock {}  // used, but never with another lock held: no edge
            takeInOrder(outer, inner)  // allowed: higher level first; learned
            takeInOrder(inner, outer)  // level inversion
            takeInOrder(inner, outer)  // the same inversion again: only counted
            graph = LockOrder.learnedGraph()
        }
        try #require(violations.count == 1, "\(violations.map(\.message))")
        #expect(violations[0].kind == .levelInversion)
        #expect(violations[0].count == 2)
        #expect(!violations.contains { $0.kind == .orderCycle })
        let learned = try #require(graph)
        #expect(learnedEdge(learned, from: "graph.outer", to: "graph.inner")?.count == 1)
        #expect(learnedEdge(learned, from: "graph.inner", to: "graph.outer") == nil)
        #expect(learned.classes.contains { $0.name == "graph.outer" && $0.level == 7 })
        #expect(learned.classes.contains { $0.name == "graph.inner" && $0.level == 3 })
        // A declared class in use is listed with its level even without an edge.
        #expect(learned.classes.contains { $0.name == "graph.leaf" && $0.level == 1 })
        #expect(!learned.edges.contains { $0.from == "graph.leaf" || $0.to == "graph.leaf" })
    }

    // MARK: Re-entry

    @Test("re-entry is not an edge: a reentrant mutex taken again under another lock")
    func reentryIsNotAnEdge() throws {
        let sites = SiteLog()
        let reentrant = sites.at("create R") { CheckedReentrantMutex("R") }
        let a = sites.at("create A") { CheckedMutex("A") }
        let b = sites.at("create B") { CheckedMutex("B") }
        let nameR = sites.className("R", createdAt: "create R")
        let nameA = sites.className("A", createdAt: "create A")
        let nameB = sites.className("B", createdAt: "create B")
        var graph: LearnedOrderSnapshot?
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            // A, then R twice: the second R is re-entry, not a second A -> R.
            a.lock()
            reentrant.lock()
            reentrant.lock()
            reentrant.unlock()
            reentrant.unlock()
            a.unlock()
            // R, then B, then R again: were re-entry an edge, B -> R would close R -> B -> R.
            reentrant.lock()
            b.lock()
            reentrant.lock()
            reentrant.unlock()
            b.unlock()
            reentrant.unlock()
            graph = LockOrder.learnedGraph()
        }
        #expect(violations.isEmpty, "\(violations.map(\.message))")
        let learned = try #require(graph)
        #expect(learnedEdge(learned, from: nameA, to: nameR)?.count == 1, "\(learned.edges)")
        #expect(learnedEdge(learned, from: nameR, to: nameR) == nil)
        #expect(learnedEdge(learned, from: nameB, to: nameR) == nil, "\(learned.edges)")
        #expect(learnedEdge(learned, from: nameR, to: nameB)?.count == 1, "\(learned.edges)")
        #expect(learned.edges.count == 2, "\(learned.edges)")
    }

    // MARK: The learned graph

    @Test("the learned graph lists edges with counts: once per distinct chain, whatever the threads")
    func learnedGraphCounts() throws {
        let sites = SiteLog()
        let a = sites.at("create A") { CheckedMutex("A") }
        let b = sites.at("create B") { CheckedMutex("B") }
        let c = sites.at("create C") { CheckedMutex("C") }
        let nameA = sites.className("A", createdAt: "create A")
        let nameB = sites.className("B", createdAt: "create B")
        let nameC = sites.className("C", createdAt: "create C")
        var graph: LearnedOrderSnapshot?
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            // Three threads take A then B five times each, one after the other: the edge is seen
            // on the slow path once; the other threads find the chain in the process-wide chain
            // set, and the repeats hit each thread's chain cache.
            for _ in 0..<3 {
                TestThread.runAndWait {
                    for _ in 0..<5 { takeInOrder(a, b) }
                }
            }
            // One thread takes A, B, C nested: A -> C and B -> C, once each.
            TestThread.runAndWait {
                a.withLock { b.withLock { c.withLock {} } }
            }
            graph = LockOrder.learnedGraph()
        }
        #expect(violations.isEmpty, "\(violations.map(\.message))")
        let learned = try #require(graph)
        #expect(learned.schema == 1)
        #expect(learned.edges.count == 3, "\(learned.edges)")
        #expect(
            learnedEdge(learned, from: nameA, to: nameB)?.count == 1, "A, B is one chain, known in A, B, C")
        #expect(learnedEdge(learned, from: nameA, to: nameC)?.count == 1)
        #expect(learnedEdge(learned, from: nameB, to: nameC)?.count == 1)
        #expect(learnedEdge(learned, from: nameA, to: nameB)?.modes == nil)
        for name in [nameA, nameB, nameC] {
            #expect(learned.classes.contains { $0.name == name && $0.level == nil }, "\(name)")
        }
        // The file form round-trips.
        #expect(try LearnedOrderSnapshot.decode(learned.encoded()) == learned)
    }
}
