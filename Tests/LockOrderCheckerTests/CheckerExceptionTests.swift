import LockCore
import LockOrderChecker
import Testing

/// The hierarchy's named exceptions to the same-level rule: a guard lock, and instance order.
/// Exceptions are data: a hierarchy declared in the test gets the same treatment as Julia's.
@Suite("Exceptions to the level rule", .serialized)
struct CheckerExceptionTests {
    static let methodLockGuardText =
        "guarded same level (world_counter_lock): several jl_method_t.writelock locks may be held at once only while world_counter_lock is held; world_counter_lock is not held"

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
        let violations = checkDeclaredRules {
            first.withLock { second.withLock {} }
        }
        try #require(violations.count == 1)
        let violation = violations[0]
        #expect(violation.kind == .sameLevel)
        #expect(
            violation.message
                == "same level: acquiring jl_method_t.writelock (level 3) while holding jl_method_t.writelock (level 3)"
        )
        #expect(violation.missingGuard == "world_counter_lock")
        #expect(violation.exception == Self.methodLockGuardText)
        #expect(
            violation.hint == "acquire world_counter_lock before taking several jl_method_t.writelock locks")
        #expect(violation.lock?.name == "jl_method_t.writelock")
        #expect(violation.held.map(\.name) == ["jl_method_t.writelock"])
        #expect(violation.text.contains("world_counter_lock is not held"))
        #expect(
            reportLine(violation, startingWith: "  missing guard: ") == "  missing guard: world_counter_lock")
        #expect(
            reportLine(violation, startingWith: "  exception: ") == "  exception: \(Self.methodLockGuardText)"
        )
    }

    @Test("the guard covers jl_method_t.writelock only: typecache_lock beside it is still same_level")
    func guardCoversItsClassOnly() throws {
        let worldCounter = CheckedMutex(declared: "world_counter_lock")
        let method = CheckedMutex(declared: "jl_method_t.writelock")
        let typecache = CheckedMutex(declared: "typecache_lock")
        let violations = checkDeclaredRules {
            worldCounter.withLock { typecache.withLock { method.withLock {} } }
        }
        try #require(violations.count == 1)
        #expect(violations[0].kind == .sameLevel)
        #expect(
            violations[0].message
                == "same level: acquiring jl_method_t.writelock (level 3) while holding typecache_lock (level 3)"
        )
        #expect(violations[0].missingGuard == nil)
        #expect(
            violations[0].exception
                == "guarded same level (world_counter_lock) covers several jl_method_t.writelock locks only, not jl_method_t.writelock with typecache_lock"
        )
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
        let violations = checkDeclaredRules {
            second.withLock { first.withLock {} }
        }
        try #require(violations.count == 1)
        let violation = violations[0]
        #expect(violation.kind == .instanceOrder)
        #expect(
            violation.message
                == "instance order: acquiring orc::ThreadSafeContext (level 6, order key 1) while holding orc::ThreadSafeContext (level 6, order key 2)"
        )
        #expect(
            violation.exception
                == "instance order: several orc::ThreadSafeContext locks may be held at once only when acquired in increasing order key; order key 1 is acquired after order key 2"
        )
        #expect(
            violation.hint
                == "acquire orc::ThreadSafeContext locks in the order their order keys give (the order they were borrowed from the pool)"
        )
        #expect(violation.lock?.orderKey == 1)
        #expect(violation.held.map(\.orderKey) == [2])
        #expect(violation.missingGuard == nil)
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
        let violations = checkDeclaredRules {
            early.withLock { late.withLock {} }
        }
        try #require(violations.count == 1)
        #expect(violations[0].kind == .instanceOrder)
        #expect(violations[0].exception?.hasSuffix("; order key 3 is acquired after order key 4") == true)
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
        let violations = checkDeclaredRules {
            keyed.withLock { unkeyed.withLock {} }
            unkeyed.withLock { keyed.withLock {} }
        }
        try #require(violations.count == 2)
        #expect(violations.map(\.kind) == [.instanceOrder, .instanceOrder])
        #expect(
            violations[0].message
                == "instance order: acquiring orc::ThreadSafeContext (level 6, order key none) while holding orc::ThreadSafeContext (level 6, order key 1)"
        )
        #expect(violations[0].exception?.hasSuffix("; the lock being acquired has no order key") == true)
        #expect(
            violations[1].message
                == "instance order: acquiring orc::ThreadSafeContext (level 6, order key 1) while holding orc::ThreadSafeContext (level 6, order key none)"
        )
        #expect(violations[1].exception?.hasSuffix("; the held lock has no order key") == true)
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
        let violations = checkDeclaredRules(hierarchy: hierarchy) {
            alice.withLock { bob.withLock {} }
            audit.withLock { ledger.withLock {} }
            alice.withLock { LockOrder.willPerform(ThreadOperation(rawValue: "network")) }
        }
        try #require(violations.count == 3)
        #expect(violations.map(\.kind) == [.sameLevel, .levelInversion, .forbiddenOperation])
        #expect(
            violations[0].message
                == "same level: acquiring bank.account (level 4) while holding bank.account (level 4)")
        #expect(violations[0].missingGuard == "bank.ledger")
        #expect(
            violations[0].exception
                == "guarded same level (bank.ledger): several bank.account locks may be held at once only while bank.ledger is held; bank.ledger is not held"
        )
        #expect(violations[0].hint == "acquire bank.ledger before taking several bank.account locks")
        #expect(
            violations[1].message
                == "level inversion: acquiring bank.ledger (level 9) while holding bank.audit (level 2)")
        #expect(
            violations[1].rule
                == "while a level 2 lock is held, only locks of a strictly lower level may be acquired; level 9 locks are roots: they may be acquired only when no other declared lock is held"
        )
        #expect(violations[2].message == "forbidden operation: network while holding bank.account (level 4)")
        #expect(
            violations[2].rule
                == "network is forbidden while holding the lock bank.account: a slow peer would stall every transfer"
        )
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
