import Foundation
import LockCore
import LockOrderTestSupport
import Testing

@testable import LockOrderChecker

/// Whole reports, line by line (docs/report-format.md): the ABBA of two named threads, a
/// three-thread cycle, two locks of one class in both orders and a level inversion in a user's
/// hierarchy, each with its JSON line's
/// keys. What a run decides (thread numbers, tids, addresses) is taken from the violation;
/// every word, site and the order of the lines is fixed here.
@Suite("Reports, exact text", .serialized)
struct ReportExactTextTests {
    static let file = siteFile()

    /// The frame lines of a stack as the report prints them, at `indent`: lockorder's frames
    /// and compiler glue folded (that folding has its own test, `DefaultSymbolizeTests`), and
    /// each frame with the ` at FILE:LINE:COLUMN` it carries (by default when a symbolizer is on
    /// PATH, the same in every run).
    static func frameLines(_ frames: [Frame], indent: String) -> [String] {
        ViolationText.frameLines(frames, indent: indent)
    }

    /// Takes each pair's first lock, then its second, each pair on a thread of its own (named
    /// `threadNames[i]` when given), one thread after the other; answers where the first and the
    /// second lock are taken.
    static func nestEachPairOnItsOwnThread(
        _ pairs: [(CheckedMutex, CheckedMutex)], threadNames: [String] = []
    ) -> (held: String, acquired: String) {
        let line = ThreadResult<Int>()
        for (index, (first, second)) in pairs.enumerated() {
            TestThread.runAndWait {
                if index < threadNames.count { Thread.current.name = threadNames[index] }
                line.set(#line + 1)
                first.lock()
                second.lock()
                second.unlock()
                first.unlock()
            }
        }
        let held = line.value ?? 0
        return ("\(file):\(held)", "\(file):\(held + 1)")
    }

    /// The `thread created by` section, when the report's thread was made while checking was on
    /// (the threads `TestThread` makes in a session are; a test's own thread may not be).
    static func creationLines(_ violation: Violation) -> [String] {
        guard let creator = violation.createdBy else { return [] }
        return ["  thread created by \(creator), at:"]
            + Self.frameLines(violation.creationFrames ?? [], indent: "    ")
    }

    /// Checks that the report's thread was made by the test's thread, at a call in this file:
    /// `TestThread`'s start, whose caller is the test (or its helper).
    static func expectMadeHere(_ violation: Violation, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            violation.createdBy?.hasPrefix("thread ") == true, "\(violation)", sourceLocation: sourceLocation)
        let functions = (violation.creationFrames ?? []).compactMap(\.function)
        #expect(
            functions.contains { $0.contains("LockOrderCheckerTests.ReportExactTextTests.") },
            "\(functions)", sourceLocation: sourceLocation)
    }

    /// Pads a thread's name to the widest of `threads`: the deadlock picture's first column.
    static func padding(to threads: [String]) -> (String) -> String {
        let width = threads.map(\.count).max() ?? 0
        return { $0 + String(repeating: " ", count: width - $0.count) }
    }

    /// The JSON line's object.
    static func jsonObject(_ violation: Violation) throws -> [String: Any] {
        let bytes = ReportEncoding.line(violation)
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test("ABBA between two named threads: the whole report, and its JSON line")
    func abbaBetweenNamedThreads() throws {
        let accountsLine = #line + 1
        let accounts = CheckedMutex("accounts")
        let auditLine = #line + 1
        let audit = CheckedMutex("audit log")
        var sites = (held: "", acquired: "")
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            sites = Self.nestEachPairOnItsOwnThread(
                [(accounts, audit), (audit, accounts)], threadNames: ["teller-1", "teller-2"])
        }
        try #require(violations.count == 1, "\(violations)")
        let violation = violations[0]
        // Both threads take their pair on the helper's two lines.
        let (held, acquired) = sites
        let cycle = try #require(violation.cycle)
        try #require(cycle.count == 2)
        let teller1 = cycle[1].thread
        let teller2 = violation.thread
        #expect(teller1.hasPrefix("thread ") && teller1.hasSuffix(", \"teller-1\")"), "\(teller1)")
        #expect(teller2.hasPrefix("thread ") && teller2.hasSuffix(", \"teller-2\")"), "\(teller2)")
        let pad = Self.padding(to: [teller1, teller2])
        let entry = "started in LockOrderTestSupport.testThreadMain"
        let expected =
            [
                "lockorder: order cycle: acquiring accounts while holding audit log closes the cycle audit log -> accounts -> audit log",
                "  thread: \(teller2), \(entry)",
                "  lock: accounts (no level, Mutex) at \(acquired)",
                "  held (most recent first):",
                "    audit log (no level, Mutex), acquired at \(held)",
                "  locks (each class once):",
                "    accounts: the class of locks created at \(Self.file):\(accountsLine)",
                "    audit log: the class of locks created at \(Self.file):\(auditLine)",
                "  rule: locks must be acquired in one global order; accounts was acquired before audit log elsewhere, and after it here",
                "  cycle (each edge where it was first seen):",
                "    audit log -> accounts by this thread (its stack is the backtrace below)",
                "      took audit log at \(held)",
                "      then accounts at \(acquired)",
                "    accounts -> audit log by \(teller1)",
                "      took accounts at \(held)",
                "      then audit log at \(acquired)",
                "      its stack then (the thread \(entry)):",
            ] + Self.frameLines(cycle[1].frames, indent: "        ") + [
                "  deadlock (if these threads run at once, none of them can go on):",
                "    \(pad(teller1))  holds accounts,  waits for audit log",
                "    \(pad(teller2))  holds audit log, waits for accounts",
                "  backtrace:",
            ] + Self.frameLines(violation.frames, indent: "    ") + Self.creationLines(violation) + [
                "  hint: pick one order for audit log, accounts and acquire them in it everywhere, or declare their levels in a hierarchy"
            ]
        #expect(reportLines(violation) == expected)
        #expect(!cycle[1].frames.isEmpty && !violation.frames.isEmpty)
        Self.expectMadeHere(violation)
        #expect(
            reportLines(violation).allSatisfy {
                $0.count <= 120 || $0.hasPrefix("lockorder: ") || $0.contains("#")
            })

        let object = try Self.jsonObject(violation)
        #expect(object["schema"] as? Int == 3)
        #expect(
            Set(object.keys) == [
                "schema", "id", "kind", "message", "thread", "threadStartedIn", "site", "lock", "held",
                "rule",
                "cycle", "deadlock", "legend", "hint", "frames", "count", "createdBy", "creationFrames",
            ])
        #expect(object["createdBy"] as? String == violation.createdBy)
        #expect((object["creationFrames"] as? [Any])?.count == violation.creationFrames?.count)
        #expect(object["threadStartedIn"] as? String == "LockOrderTestSupport.testThreadMain")
        let deadlock = try #require(object["deadlock"] as? [[String: String]])
        #expect(
            deadlock == [
                ["thread": teller1, "holds": "accounts", "waitsFor": "audit log"],
                ["thread": teller2, "holds": "audit log", "waitsFor": "accounts"],
            ])
        let legend = try #require(object["legend"] as? [[String: String]])
        #expect(
            legend == [
                ["label": "accounts", "className": "accounts (\(Self.file):\(accountsLine))"],
                ["label": "audit log", "className": "audit log (\(Self.file):\(auditLine))"],
            ])
        let edges = try #require(object["cycle"] as? [[String: Any]])
        #expect(edges.count == 2)
        #expect(edges[0]["threadStartedIn"] == nil, "the edge being added now is the report's own thread")
        #expect(edges[1]["threadStartedIn"] as? String == "LockOrderTestSupport.testThreadMain")
        #expect(
            Set(edges[1].keys) == [
                "from", "to", "heldAt", "acquiredAt", "thread", "threadStartedIn", "frames", "fromLock",
                "toLock",
            ])
    }

    @Test("ABBCCA on three threads: the whole report, three deadlock rows, and its JSON line")
    func threeThreadCycle() throws {
        let created = #line + 1
        let a = CheckedMutex("A")
        let b = CheckedMutex("B")
        let c = CheckedMutex("C")
        var sites = (held: "", acquired: "")
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            sites = Self.nestEachPairOnItsOwnThread([(a, b), (b, c), (c, a)])
        }
        try #require(violations.count == 1, "\(violations)")
        let violation = violations[0]
        let (held, acquired) = sites
        let cycle = try #require(violation.cycle)
        try #require(cycle.count == 3)
        Self.expectMadeHere(violation)
        let (t1, t2, t3) = (cycle[1].thread, cycle[2].thread, violation.thread)
        #expect(Set([t1, t2, t3]).count == 3)
        let pad = Self.padding(to: [t1, t2, t3])
        let entry = "started in LockOrderTestSupport.testThreadMain"
        let expected =
            [
                "lockorder: order cycle: acquiring A while holding C closes the cycle C -> A -> B -> C",
                "  thread: \(t3), \(entry)",
                "  lock: A (no level, Mutex) at \(acquired)",
                "  held (most recent first):",
                "    C (no level, Mutex), acquired at \(held)",
                "  locks (each class once):",
                "    A: the class of locks created at \(Self.file):\(created)",
                "    C: the class of locks created at \(Self.file):\(created + 2)",
                "    B: the class of locks created at \(Self.file):\(created + 1)",
                "  rule: locks must be acquired in one global order; A was acquired before C elsewhere, and after it here",
                "  cycle (each edge where it was first seen):",
                "    C -> A by this thread (its stack is the backtrace below)",
                "      took C at \(held)",
                "      then A at \(acquired)",
                "    A -> B by \(t1)",
                "      took A at \(held)",
                "      then B at \(acquired)",
                "      its stack then (the thread \(entry)):",
            ] + Self.frameLines(cycle[1].frames, indent: "        ") + [
                "    B -> C by \(t2)",
                "      took B at \(held)",
                "      then C at \(acquired)",
                "      its stack then (the thread \(entry)):",
            ] + Self.frameLines(cycle[2].frames, indent: "        ") + [
                "  deadlock (if these threads run at once, none of them can go on):",
                "    \(pad(t1))  holds A, waits for B",
                "    \(pad(t2))  holds B, waits for C",
                "    \(pad(t3))  holds C, waits for A",
                "  backtrace:",
            ] + Self.frameLines(violation.frames, indent: "    ") + Self.creationLines(violation) + [
                "  hint: pick one order for C, A, B and acquire them in it everywhere, or declare their levels in a hierarchy"
            ]
        #expect(reportLines(violation) == expected)
        let object = try Self.jsonObject(violation)
        #expect(object["schema"] as? Int == 3)
        let deadlock = try #require(object["deadlock"] as? [[String: String]])
        #expect(deadlock.map { $0["thread"] } == [t1, t2, t3])
        #expect(deadlock.map { $0["holds"] } == ["A", "B", "C"])
        #expect(deadlock.map { $0["waitsFor"] } == ["B", "C", "A"])
        let legend = try #require(object["legend"] as? [[String: String]])
        #expect(legend.map { $0["label"] } == ["A", "C", "B"])
        let edges = try #require(object["cycle"] as? [[String: Any]])
        #expect(
            edges.map { $0["threadStartedIn"] as? String } == [
                nil, "LockOrderTestSupport.testThreadMain", "LockOrderTestSupport.testThreadMain",
            ])
    }

    @Test("two locks of one class in both orders (the bank): the whole report, one legend line, its JSON")
    func sameClassCycle() throws {
        let created = #line + 1
        let account = { (owner: String) in CheckedMutex("account \(owner)") }
        let alice = account("alice")
        let bob = account("bob")
        var sites = (held: "", acquired: "")
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            sites = Self.nestEachPairOnItsOwnThread(
                [(alice, bob), (bob, alice)], threadNames: ["teller-1", "teller-2"])
        }
        try #require(violations.count == 1, "\(violations)")
        let violation = violations[0]
        let (held, acquired) = sites
        let cycle = try #require(violation.cycle)
        try #require(cycle.count == 2)
        let (teller1, teller2) = (cycle[1].thread, violation.thread)
        #expect(teller1.hasSuffix(", \"teller-1\")") && teller2.hasSuffix(", \"teller-2\")"))
        let pad = Self.padding(to: [teller1, teller2])
        let entry = "started in LockOrderTestSupport.testThreadMain"
        let expected =
            [
                "lockorder: order cycle: acquiring account alice while holding account bob closes the cycle account bob -> account alice -> account bob among locks of one class",
                "  thread: \(teller2), \(entry)",
                "  lock: account alice (no level, Mutex) at \(acquired)",
                "  held (most recent first):",
                "    account bob (no level, Mutex), acquired at \(held)",
                "  locks (each class once):",
                "    account alice, account bob: locks of one class, created at \(Self.file):\(created)",
                "  rule: locks of one class must be acquired in one order among themselves too; account alice was seen acquired before",
                "      account bob (directly or through other locks of its class), and here it is acquired after",
                "  cycle (each edge where it was first seen):",
                "    account bob -> account alice by this thread (its stack is the backtrace below)",
                "      took account bob at \(held)",
                "      then account alice at \(acquired)",
                "    account alice -> account bob by \(teller1)",
                "      took account alice at \(held)",
                "      then account bob at \(acquired)",
                "      its stack then (the thread \(entry)):",
            ] + Self.frameLines(cycle[1].frames, indent: "        ") + [
                "  deadlock (if these threads run at once, none of them can go on):",
                "    \(pad(teller1))  holds account alice, waits for account bob",
                "    \(pad(teller2))  holds account bob,   waits for account alice",
                "  backtrace:",
            ] + Self.frameLines(violation.frames, indent: "    ") + Self.creationLines(violation) + [
                "  hint: acquire account bob and account alice in one order everywhere, by a key the program has (lowest first; declare",
                "      it with the locks' orderKey and an instanceOrder exception in a hierarchy) or by lock id",
            ]
        #expect(reportLines(violation) == expected)
        #expect(!cycle[1].frames.isEmpty && !violation.frames.isEmpty)
        Self.expectMadeHere(violation)

        let object = try Self.jsonObject(violation)
        #expect(object["schema"] as? Int == 3)
        let className = "account alice (\(Self.file):\(created))"
        let legend = try #require(object["legend"] as? [[String: Any]])
        try #require(legend.count == 1)
        #expect(legend[0]["label"] as? String == "account alice")
        #expect(legend[0]["className"] as? String == className)
        #expect(legend[0]["locks"] as? [String] == ["account alice", "account bob"])
        let edges = try #require(object["cycle"] as? [[String: Any]])
        #expect(edges.map { $0["from"] as? String } == [className, className], "the class's own edges")
        #expect(edges.map { $0["fromLock"] as? String } == ["account bob", "account alice"])
        #expect(edges.map { $0["toLock"] as? String } == ["account alice", "account bob"])
        let deadlock = try #require(object["deadlock"] as? [[String: String]])
        #expect(
            deadlock == [
                ["thread": teller1, "holds": "account alice", "waitsFor": "account bob"],
                ["thread": teller2, "holds": "account bob", "waitsFor": "account alice"],
            ])
    }

    @Test("a level inversion in a user's hierarchy: the whole report, no Julia words, no exception line")
    func levelInversionInUserHierarchy() throws {
        let bank = try LockHierarchy(
            name: "bank",
            locks: [
                DeclaredLock(name: "ledger", level: 3), DeclaredLock(name: "account", level: 2),
                DeclaredLock(name: "audit", level: 1),
            ])
        let audit = CheckedMutex(declared: "audit")
        let ledger = CheckedMutex(declared: "ledger")
        var lines: [Int] = []
        let violations = LockOrder.withChecking(hierarchy: bank, printsReports: false) {
            lines.append(#line + 1)
            audit.lock()
            lines.append(#line + 1)
            ledger.lock()
            ledger.unlock()
            audit.unlock()
        }
        try #require(violations.count == 1, "\(violations)")
        let violation = violations[0]
        let expected =
            [
                "lockorder: level inversion: acquiring ledger (level 3) while holding audit (level 1)",
                "  thread: \(FindingText.thread(violation.thread, frames: violation.frames))",
                "  lock: ledger (level 3, Mutex) at \(Self.file):\(lines[1])",
                "  held (most recent first):",
                "    audit (level 1, Mutex), acquired at \(Self.file):\(lines[0])",
                "  rule: while a level 1 lock is held, only locks of a strictly lower level may be acquired",
                "  backtrace:",
            ] + Self.frameLines(violation.frames, indent: "    ") + Self.creationLines(violation) + [
                "  hint: acquire ledger before audit (higher levels first), or release audit first"
            ]
        #expect(reportLines(violation) == expected)
        let object = try Self.jsonObject(violation)
        #expect(object["schema"] as? Int == 3)
        #expect(object["exception"] == nil)
        #expect(object["deadlock"] == nil)
        #expect(
            Set(object.keys).subtracting(["threadStartedIn", "createdBy", "creationFrames"]) == [
                "schema", "id", "kind", "message", "thread", "site", "lock", "held", "rule", "legend", "hint",
                "frames", "count",
            ])
    }
}
