import LockCore
import LockOrderChecker
import Testing

/// The hierarchy's named exceptions to the same-level rule: a guard lock, and instance order.
/// Exceptions are data: a hierarchy declared in the test gets the same treatment as Julia's.
@Suite("Exceptions to the level rule", .serialized)
struct CheckerExceptionTests {
    static let methodGuard = "guarded same level (world_counter_lock)"

    // MARK: Guarded same level (world_counter_lock)

    @Test("world_counter_lock, then two jl_method_t.writelock: the guard exception is kept")
    func guardHeldIsSilent() {
        let worldCounter = CheckedMutex(declared: "world_counter_lock")
        let first = CheckedMutex(declared: "jl_method_t.writelock")
        let second = CheckedMutex(declared: "jl_method_t.writelock")
        let third = CheckedMutex(declared: "jl_method_t.writelock")
        let violations = checkDeclaredRules {
            worldCounter.withLock { first.withLock { second.withLock { third.withLock {} } } }
        }
        #expect(violations.isEmpty)
    }

    @Test("two jl_method_t.writelock without world_counter_lock: same_level, missing guard")
    func guardMissingIsReported() throws {
        let first = CheckedMutex(declared: "jl_method_t.writelock")
        let second = CheckedMutex(declared: "jl_method_t.writelock")
        let findings = declaredRuleFindings {
            first.withLock { second.withLock {} }
        }
        try #require(findings.count == 1)
        #expect(findings[0].kind == .sameLevel)
        #expect(
            findings[0].reason
                == .sameLevelHeld(
                    level: 3, rootLevel: 7,
                    exception: .guardNotHeld(
                        exception: Self.methodGuard, lockName: "jl_method_t.writelock",
                        guardName: "world_counter_lock"
                    )))
        #expect(findings[0].lock?.name == "jl_method_t.writelock")
        #expect(findings[0].held.map(\.name) == ["jl_method_t.writelock"])
    }

    @Test("the guard covers jl_method_t.writelock only: typecache_lock beside it is still same_level")
    func guardCoversItsClassOnly() throws {
        let worldCounter = CheckedMutex(declared: "world_counter_lock")
        let method = CheckedMutex(declared: "jl_method_t.writelock")
        let typecache = CheckedMutex(declared: "typecache_lock")
        let findings = declaredRuleFindings {
            worldCounter.withLock { typecache.withLock { method.withLock {} } }
        }
        try #require(findings.count == 1)
        #expect(
            findings[0].reason
                == .sameLevelHeld(
                    level: 3, rootLevel: 7,
                    exception: .coversOneClassOnly(
                        exception: Self.methodGuard, lockName: "jl_method_t.writelock")))
        #expect(findings[0].conflicting?.name == "typecache_lock")
    }

    // MARK: Instance order (orc::ThreadSafeContext)

    @Test("orc::ThreadSafeContext order keys 1 then 2 (and 3 then 4 set later) keep the instance order")
    func increasingOrderKeysAreSilent() {
        let first = CheckedMutex(declared: "orc::ThreadSafeContext", orderKey: 1)
        let second = CheckedMutex(declared: "orc::ThreadSafeContext", orderKey: 2)
        let third = CheckedMutex(declared: "orc::ThreadSafeContext")
        let fourth = CheckedMutex(declared: "orc::ThreadSafeContext")
        third.orderKey = 3
        fourth.orderKey = 4
        let violations = checkDeclaredRules {
            first.withLock { second.withLock {} }
            first.withLock { second.withLock { third.withLock { fourth.withLock {} } } }
        }
        #expect(violations.isEmpty)
    }

    @Test("orc::ThreadSafeContext order keys 2 then 1 break the instance order")
    func decreasingOrderKeysAreReported() throws {
        let first = CheckedMutex(declared: "orc::ThreadSafeContext", orderKey: 1)
        let second = CheckedMutex(declared: "orc::ThreadSafeContext", orderKey: 2)
        let findings = declaredRuleFindings {
            second.withLock { first.withLock {} }
        }
        try #require(findings.count == 1)
        #expect(findings[0].kind == .instanceOrder)
        #expect(findings[0].reason == Self.instanceOrder(key: 1, heldKey: 2))
        #expect(findings[0].lock?.orderKey == 1)
        #expect(findings[0].held.map(\.orderKey) == [2])
        let violations = checkDeclaredRules {
            second.withLock { first.withLock {} }
        }
        try #require(violations.count == 1)
        let violation = violations[0]
        #expect(
            reportLine(violation, startingWith: "  lock: ")?.hasPrefix(
                "  lock: orc::ThreadSafeContext (level 6, Mutex, order key 1) at ") == true)
    }

    @Test("an order key changed after creation is the one checked: 4 then 3 is reported")
    func orderKeySetLaterIsChecked() throws {
        let early = CheckedMutex(declared: "orc::ThreadSafeContext", orderKey: 1)
        let late = CheckedMutex(declared: "orc::ThreadSafeContext", orderKey: 2)
        early.orderKey = 4
        late.orderKey = 3
        let findings = declaredRuleFindings {
            early.withLock { late.withLock {} }
        }
        #expect(findings.map(\.reason) == [Self.instanceOrder(key: 3, heldKey: 4)])
    }

    @Test("an order key lives while its lock does: readable, removable, forgotten when the lock is destroyed")
    func orderKeyLifetime() {
        var lock: CheckedMutex? = CheckedMutex(declared: "orc::ThreadSafeContext", orderKey: 5)
        let identity = lock!.identity
        #expect(lock!.orderKey == 5)
        #expect(LockOrder.orderKey(of: identity) == 5)
        lock!.orderKey = nil
        #expect(lock!.orderKey == nil)
        lock!.orderKey = 6
        lock = nil
        #expect(
            LockOrder.orderKey(of: identity) == nil, "the checker keeps no key of a destroyed lock")
    }

    @Test("a user's lock keyed through setOrderKey: lockDestroyed forgets the key")
    func userLockOrderKeyIsForgotten() {
        var lock: AnnotatedLock? = AnnotatedLock("keyed")
        let identity = lock!.identity
        LockOrder.setOrderKey(9, of: identity)
        #expect(LockOrder.orderKey(of: identity) == 9)
        lock = nil
        #expect(LockOrder.orderKey(of: identity) == nil)
    }

    @Test("an orc::ThreadSafeContext without an order key cannot be ordered: reported")
    func missingOrderKeyIsReported() throws {
        let keyed = CheckedMutex(declared: "orc::ThreadSafeContext", orderKey: 1)
        let unkeyed = CheckedMutex(declared: "orc::ThreadSafeContext")
        let findings = declaredRuleFindings {
            keyed.withLock { unkeyed.withLock {} }
            unkeyed.withLock { keyed.withLock {} }
        }
        #expect(
            findings.map(\.reason) == [
                Self.instanceOrder(key: nil, heldKey: 1), Self.instanceOrder(key: 1, heldKey: nil),
            ])
    }

    /// The finding of two orc::ThreadSafeContext locks taken out of their order keys.
    static func instanceOrder(key: UInt64?, heldKey: UInt64?) -> Finding.Reason {
        .sameLevelHeld(
            level: 6, rootLevel: 7,
            exception: .orderKeysNotIncreasing(
                exception: "instance order", lockName: "orc::ThreadSafeContext", orderKey: key,
                heldKey: heldKey))
    }

    // MARK: Exceptions are data

    static func bankHierarchy() throws -> LockHierarchy {
        try LockHierarchy(
            name: "bank",
            locks: [
                DeclaredLock(name: "bank.ledger", level: 9),
                DeclaredLock(name: "bank.account", level: 4),
                DeclaredLock(name: "bank.audit", level: 2),
            ],
            exceptions: [.guardedSameLevel(lock: "bank.account", guard: "bank.ledger")],
            forbiddenOperations: [
                ForbiddenOperation(
                    operation: ThreadOperation(rawValue: "network"), whileHolding: .locks(["bank.account"]),
                    reason: "a slow peer would stall every transfer")
            ])
    }

    @Test("a hierarchy declared in the test: its guard exception is kept under bank.ledger")
    func userGuardKept() throws {
        let hierarchy = try Self.bankHierarchy()
        let ledger = CheckedMutex(declared: "bank.ledger")
        let alice = CheckedMutex(declared: "bank.account")
        let bob = CheckedMutex(declared: "bank.account")
        let audit = CheckedMutex(declared: "bank.audit")
        let violations = checkDeclaredRules(hierarchy: hierarchy) {
            ledger.withLock { alice.withLock { bob.withLock { audit.withLock {} } } }
        }
        #expect(violations.isEmpty)
    }

    @Test("a hierarchy declared in the test: its guard exception broken, its root, its forbidden operation")
    func userGuardBroken() throws {
        let hierarchy = try Self.bankHierarchy()
        let ledger = CheckedMutex(declared: "bank.ledger")
        let alice = CheckedMutex(declared: "bank.account")
        let bob = CheckedMutex(declared: "bank.account")
        let audit = CheckedMutex(declared: "bank.audit")
        let findings = declaredRuleFindings(hierarchy: hierarchy) {
            alice.withLock { bob.withLock {} }
            audit.withLock { ledger.withLock {} }
            alice.withLock { LockOrder.willPerform(ThreadOperation(rawValue: "network")) }
        }
        #expect(findings.map(\.kind) == [.sameLevel, .levelInversion, .forbiddenOperation])
        #expect(
            findings.map(\.reason) == [
                .sameLevelHeld(
                    level: 4, rootLevel: 9,
                    exception: .guardNotHeld(
                        exception: "guarded same level (bank.ledger)", lockName: "bank.account",
                        guardName: "bank.ledger")),
                .lowerLevelHeld(heldLevel: 2, level: 9, rootLevel: 9, lockHasExceptions: false),
                .forbiddenOperation(hierarchy.forbiddenOperations[0]),
            ])
        #expect(findings.map { $0.conflicting?.name } == ["bank.account", "bank.audit", "bank.account"])
    }

    @Test("under a hierarchy declared in the test, the Julia names are plain undeclared locks")
    func userHierarchyReplacesJulia() throws {
        let hierarchy = try Self.bankHierarchy()
        let typecache = CheckedMutex(declared: "typecache_lock")
        let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
        let violations = checkDeclaredRules(hierarchy: hierarchy) {
            typecache.withLock { methodTable.withLock {} }
        }
        #expect(violations.isEmpty)
        let again = checkDeclaredRules {
            typecache.withLock { methodTable.withLock {} }
        }
        #expect(again.map(\.kind) == [.levelInversion], "the Julia table applies again in the next session")
    }
}
