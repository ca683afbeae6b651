import LockCore
import LockOrderTestSupport
import Testing

@testable import LockOrderChecker

/// Each distinct violation (kind, lock classes, call site) is reported once and counted after.
@Suite("Deduplication and the summary line", .serialized)
struct CheckerDeduplicationTests {
    @Test("the same level inversion at the same site five times: one violation, count 5")
    func sameSiteFiveTimes() throws {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
        let violations = checkDeclaredRules {
            for _ in 0..<5 {
                typecache.withLock { methodTable.withLock {} }
            }
        }
        try #require(violations.count == 1)
        #expect(violations[0].kind == .levelInversion)
        #expect(violations[0].count == 5)
        #expect(violations[0].id == 1)
    }

    @Test("the same level inversion at two sites: two violations, one occurrence each")
    func twoSites() throws {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
        var lines: [Int] = []
        let violations = checkDeclaredRules {
            typecache.withLock {
                lines.append(#line + 1)
                methodTable.withLock {}
            }
            typecache.withLock {
                lines.append(#line + 1)
                methodTable.withLock {}
            }
        }
        try #require(violations.count == 2)
        #expect(violations.map(\.message) == Array(repeating: violations[0].message, count: 2))
        #expect(violations.map(\.site) == lines.map { "\(siteFile()):\($0)" })
        #expect(violations.map(\.count) == [1, 1])
        #expect(violations.map(\.id) == [1, 2])
    }

    @Test("one site, two pairs of lock classes: two violations")
    func oneSiteTwoClassPairs() throws {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let libmap = CheckedMutex(declared: "libmap_lock")
        let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
        let violations = checkDeclaredRules {
            for held in [typecache, libmap, typecache] {
                held.withLock { methodTable.withLock {} }
            }
        }
        try #require(violations.count == 2)
        #expect(violations.map { $0.held.first?.name } == ["typecache_lock", "libmap_lock"])
        #expect(violations.map(\.count) == [2, 1])
    }

    @Test("the exit summary counts distinct violations and every occurrence")
    func summaryLineCountsOccurrences() throws {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let libmap = CheckedMutex(declared: "libmap_lock")
        let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
        var violations: [Violation] = []
        let standardError = capturingStandardError {
            violations = LockOrder.withChecking(learnsOrder: false, printsReports: true) {
                for _ in 0..<5 { typecache.withLock { methodTable.withLock {} } }
                for _ in 0..<2 { typecache.withLock { libmap.withLock {} } }
                CheckerState.shared.processWillExit()
            }
        }
        #expect(violations.map(\.count) == [5, 2])
        let lines = standardError.split(separator: "\n").map(String.init)
        #expect(
            lines.filter { $0.hasPrefix("lockorder: ") } == [
                "lockorder: level inversion: acquiring jl_methtable_t.writelock (level 5) while holding typecache_lock (level 3)",
                "lockorder: same level: acquiring libmap_lock (level 3) while holding typecache_lock (level 3)",
                "lockorder: 2 distinct violations, 7 occurrences",
            ])
    }

    @Test("the summary line's words agree with its numbers")
    func summaryLineGrammar() {
        var reporter = Reporter()
        #expect(reporter.summaryLine == nil, "nothing reported: the clean-run line instead")
        #expect(
            Reporter.cleanRunLine(classes: 3, orders: 2)
                == "lockorder: checked 3 classes, 2 orders, 0 violations\n")
        #expect(
            Reporter.cleanRunLine(classes: 1, orders: 1)
                == "lockorder: checked 1 class, 1 order, 0 violations\n")
        let key = DeduplicationKey(kind: .sameLevel, classIDs: [1, 2], site: "A.swift:1", operation: nil)
        let slot = reporter.admit(key)
        let repeatSlot = reporter.admit(key)
        #expect(slot == 0)
        #expect(repeatSlot == nil, "a repeat is only counted")
        reporter.store(Self.violation(kind: .sameLevel), finding: nil, at: 0)
        #expect(reporter.summaryLine == "lockorder: 1 distinct violation, 2 occurrences\n")
        let other = DeduplicationKey(kind: .sameLevel, classIDs: [1, 2], site: "A.swift:2", operation: nil)
        let otherSlot = reporter.admit(other)
        #expect(otherSlot == 1)
        reporter.store(Self.violation(kind: .sameLevel), finding: nil, at: 1)
        #expect(reporter.summaryLine == "lockorder: 2 distinct violations, 3 occurrences\n")
        let firstNotice = reporter.noteCapacity("lock names")
        let secondNotice = reporter.noteCapacity("lock names")
        #expect(firstNotice)
        #expect(!secondNotice, "each limit is announced once")
        #expect(
            reporter.summaryLine
                == "lockorder: 2 distinct violations, 3 occurrences; 1 capacity limit reached (lock names)\n")
    }

    static func violation(kind: ViolationKind) -> Violation {
        Violation(
            kind: kind, message: "m", thread: "t", site: "A.swift:1", lock: nil, held: [], rule: "r",
            exception: nil, missingGuard: nil, operation: nil, cycle: nil, hint: "h", frames: [], count: 1,
            id: 1)
    }
}
