import Foundation
import LockCore
import LockOrderTestSupport
import Testing

@testable import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// A reported cycle's edges stay in the LOCKORDER_GRAPH_FILE output when the locks they join were
/// destroyed before exit (instance classes, R10; instances of one class, R32), so `lockorder graph`
/// draws them as learned, with their sites. Each case is a child process (an exit test) that
/// writes the file at its exit.
@Suite("The graph file keeps a reported cycle's evidence", .serialized)
struct GraphFileEvidenceTests {
    /// A folder of the test's own, named after the parent process so that the child computes it too.
    static func folder(parent: pid_t) -> String { "/tmp/lockorder-cycle-evidence-\(parent)" }

    /// In the child: an ABBA between two instance-classed locks and a bank transfer both ways,
    /// every lock destroyed before exit; or, with `keepsLocks`, the same locks kept alive.
    static func runChild(keepsLocks: Bool) -> Never {
        endProcessIfStillRunning(afterSeconds: 20)
        setenv("LOCKORDER_CHECK", "report", 1)
        unsetenv("LOCKORDER_HIERARCHY")
        unsetenv("LOCKORDER_REPORT_FILE")
        setenv("LOCKORDER_GRAPH_FILE", "\(folder(parent: getppid()))/graph.json", 1)
        var kept: [AnyObject] = []
        do {
            let first = CheckedMutex("first", class: .instance)
            let second = CheckedMutex("second", class: .instance)
            first.withLock { second.withLock {} }
            second.withLock { first.withLock {} }
            let alice = BankAccount("alice")
            let bob = BankAccount("bob")
            BankAccount.transfer(10, from: alice, to: bob)
            BankAccount.transfer(5, from: bob, to: alice)
            if keepsLocks { kept = [first, second, alice, bob] }
        }
        withExtendedLifetime(kept) { exit(0) }
    }

    /// The graph file the child wrote.
    static func graph(in folder: String) throws -> LearnedOrderSnapshot {
        try LearnedOrderSnapshot.decode(
            Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/graph.json"))))
    }

    static func makeFolder() -> String {
        let path = folder(parent: getpid())
        _ = try? FileManager.default.removeItem(atPath: path)
        mkdir(path, 0o755)
        return path
    }

    /// Checks the two cycles against the file's edges: every edge but the closing one is there,
    /// with its sites, between classes the file lists as transient.
    static func expectCyclesDrawnAsLearned(_ graph: LearnedOrderSnapshot) throws {
        let cycles = graph.violations.filter { $0.kind == .orderCycle }
        #expect(cycles.count == 2, "\(graph.violations.map(\.message))")
        let edges = Dictionary(
            graph.edges.map { ("\($0.from) -> \($0.to)", $0) }, uniquingKeysWith: { first, _ in first })
        for violation in cycles {
            let pairs = try #require(violation.cycle)
            try #require(pairs.count == 2, "\(pairs)")
            #expect(edges["\(pairs[0][0]) -> \(pairs[0][1])"] == nil, "the closing edge was never learned")
            let learned = try #require(
                edges["\(pairs[1][0]) -> \(pairs[1][1])"],
                "\(pairs[1]) is not in the file: \(edges.keys.sorted())")
            #expect(learned.count == 1)
            #expect(learned.heldAt.hasPrefix("LockOrderCheckerTests/"), "\(learned.heldAt)")
            #expect(learned.acquiredAt.hasPrefix("LockOrderCheckerTests/"), "\(learned.acquiredAt)")
            for name in pairs[1] {
                let node = try #require(graph.classes.first { $0.name == name }, "no class \(name)")
                #expect(node.transient == true, "\(name) is named per run")
            }
        }
        let bank = try #require(cycles.first { $0.message.contains("account") })
        #expect(bank.cycle == [["account bob", "account alice"], ["account alice", "account bob"]])
        let instanceClasses = try #require(cycles.first { !$0.message.contains("account") }?.cycle)
        #expect(instanceClasses[1][0].hasPrefix("first"), "\(instanceClasses)")
        #expect(instanceClasses[1][1].hasPrefix("second"), "\(instanceClasses)")
    }

    @Test("cycles among destroyed locks: their learned edges and sites are still in the file")
    func destroyedLocksKeepTheirCycleEdges() async throws {
        let folder = Self.makeFolder()
        defer { _ = try? FileManager.default.removeItem(atPath: folder) }
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            GraphFileEvidenceTests.runChild(keepsLocks: false)
        }
        let standardError = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(standardError.contains("lockorder: 2 distinct violations"), "\(standardError.suffix(800))")
        try Self.expectCyclesDrawnAsLearned(try Self.graph(in: folder))
    }

    @Test("cycles among locks alive at exit: the same file, each edge once")
    func liveLocksWriteTheSameEdges() async throws {
        let folder = Self.makeFolder()
        defer { _ = try? FileManager.default.removeItem(atPath: folder) }
        await #expect(processExitsWith: .success) {
            GraphFileEvidenceTests.runChild(keepsLocks: true)
        }
        let graph = try Self.graph(in: folder)
        try Self.expectCyclesDrawnAsLearned(graph)
        let pairs = graph.edges.map { "\($0.from) -> \($0.to)" }
        #expect(Set(pairs).count == pairs.count, "\(pairs)")
    }
}
