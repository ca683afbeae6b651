import LockCore
import Testing

@testable import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// R2: a lock declared with a name the active hierarchy does not have is checked as
/// undeclared, and the first lock made with that name says so, naming the hierarchy and the
/// nearest declared names. LOCKORDER_HIERARCHY_STRICT makes a hierarchy that fails to load fatal.
@Suite("Declared names the hierarchy does not have", .serialized)
struct DeclaredNameTests {
    static let bank = try! LockHierarchy(
        name: "bank",
        locks: [
            DeclaredLock(name: "ledger", level: 3), DeclaredLock(name: "account", level: 2),
            DeclaredLock(name: "audit", level: 1),
        ])

    @Test("a misspelt declared name: one warning per name, with the nearest names; the lock has no level")
    func misspeltNameWarnsOnce() {
        var warnings: [String] = []
        let violations = LockOrder.withChecking(hierarchy: Self.bank) {
            let audit = CheckedMutex(declared: "audit")
            let first = CheckedMutex(declared: "acount")
            let second = CheckedMutex(declared: "acount")
            // Undeclared: no level, so holding a level 1 lock while taking it breaks no level rule.
            audit.withLock { first.withLock {} }
            _ = second
            warnings = LockOrder.warningsSoFar()
        }
        #expect(violations.isEmpty, "\(violations.map(\.message))")
        #expect(
            warnings == [
                "lockorder: declared name 'acount' is not in the active hierarchy 'bank' (did you mean 'account'?); "
                    + "its locks are checked as undeclared: no level, learned order only\n"
            ])
    }

    @Test("a name far from every declared one: the warning says none is close")
    func farNameSaysNoneIsClose() {
        var warnings: [String] = []
        _ = LockOrder.withChecking(hierarchy: Self.bank) {
            _ = CheckedMutex(declared: "zzzzzzzz")
            warnings = LockOrder.warningsSoFar()
        }
        #expect(
            warnings == [
                "lockorder: declared name 'zzzzzzzz' is not in the active hierarchy 'bank' (no declared name is "
                    + "close to it among the hierarchy's 3 locks); its locks are checked as undeclared: no level, learned order only\n"
            ])
    }

    @Test("a declared name the hierarchy has: no warning")
    func knownNameIsSilent() {
        var warnings: [String] = ["not read"]
        _ = LockOrder.withChecking(hierarchy: Self.bank) {
            _ = CheckedMutex(declared: "ledger")
            warnings = LockOrder.warningsSoFar()
        }
        #expect(warnings.isEmpty)
    }

    @Test("the nearest names: closest first, at most three, none past a third of the length")
    func nearestNames() {
        let names = ["typecache_lock", "libmap_lock", "safepoint_lock", "jl_codegen_lock"]
        #expect(CheckerTables.nearestNames(to: "typecahce_lock", in: names) == ["typecache_lock"])
        #expect(CheckerTables.nearestNames(to: "TYPECACHE_LOCK", in: names) == ["typecache_lock"])
        #expect(CheckerTables.nearestNames(to: "xyz", in: names).isEmpty)
        #expect(CheckerTables.nearestNames(to: "ab", in: ["ac", "ad", "ae", "af"]) == ["ac", "ad", "ae"])
    }

    @Test(
        "LOCKORDER_HIERARCHY_STRICT=1 with a hierarchy file that does not load: the error line, exit status 1"
    )
    func strictHierarchyFailureIsFatal() async {
        let result = await #expect(processExitsWith: .exitCode(1), observing: [\.standardErrorContent]) {
            setenv("LOCKORDER_CHECK", "report", 1)
            setenv("LOCKORDER_HIERARCHY", "/nonexistent-lockorder-dir/hierarchy.json", 1)
            setenv("LOCKORDER_HIERARCHY_STRICT", "1", 1)
            let lock = CheckedMutex("never reached")
            lock.withLock {}
            exit(0)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(
            stderr.hasPrefix("lockorder: hierarchy '/nonexistent-lockorder-dir/hierarchy.json': "),
            "\(stderr)")
        #expect(
            stderr.hasSuffix(" (LOCKORDER_HIERARCHY_STRICT=1: the process stops, exit status 1)\n"),
            "\(stderr)")
        #expect(stderr.split(separator: "\n").count == 1, "one line: \(stderr)")
    }

    @Test("LOCKORDER_HIERARCHY_STRICT=1 without LOCKORDER_HIERARCHY: the forgotten file is fatal too")
    func strictWithoutHierarchyIsFatal() async {
        let result = await #expect(processExitsWith: .exitCode(1), observing: [\.standardErrorContent]) {
            setenv("LOCKORDER_CHECK", "report", 1)
            unsetenv("LOCKORDER_HIERARCHY")
            setenv("LOCKORDER_HIERARCHY_STRICT", "1", 1)
            CheckedMutex("never reached").withLock {}
            exit(0)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(
            stderr
                == "lockorder: LOCKORDER_HIERARCHY_STRICT=1 but LOCKORDER_HIERARCHY is not set "
                + "(LOCKORDER_HIERARCHY_STRICT=1: the process stops, exit status 1)\n")
    }

    @Test("without LOCKORDER_HIERARCHY_STRICT a file that does not load keeps the fallback")
    func defaultKeepsFallback() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("LOCKORDER_CHECK", "report", 1)
            setenv("LOCKORDER_HIERARCHY", "/nonexistent-lockorder-dir/hierarchy.json", 1)
            unsetenv("LOCKORDER_HIERARCHY_STRICT")
            CheckedMutex("checked").withLock {}
            exit(0)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("(checking goes on with the built-in julia hierarchy)\n"), "\(stderr)")
        #expect(stderr.hasSuffix("lockorder: checked 1 class, 0 orders, 0 violations\n"), "\(stderr)")
    }
}
