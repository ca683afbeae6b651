import LockCore
import LockOrderChecker
import Testing

/// The level rule on the Julia table: while a lock of level L is held, only strictly lower
/// levels may be acquired. Each rule is broken once and kept once.
@Suite("Declared levels", .serialized)
struct CheckerLevelRuleTests {
    static let levelRule3 =
        "while a level 3 lock is held, only locks of a strictly lower level may be acquired"
    static let leafWords =
        "level 1 locks are leaves: no other declared lock may be acquired while one is held"
    static let rootWords =
        "level 7 locks are roots: they may be acquired only when no other declared lock is held"

    // MARK: Level inversion

    @Test("L3 then L5 (typecache_lock, jl_methtable_t.writelock) is a level inversion")
    func levelInversionReported() throws {
        // The same sequence the report-text tests read line by line.
        let (violation, heldLine, acquiredLine) = try CheckerReportTextTests.levelInversion()
        #expect(violation.kind == .levelInversion)
        #expect(
            violation.message
                == "level inversion: acquiring jl_methtable_t.writelock (level 5) while holding typecache_lock (level 3)"
        )
        #expect(violation.lock?.name == "jl_methtable_t.writelock")
        #expect(violation.lock?.level == 5)
        #expect(violation.held.map(\.name) == ["typecache_lock"])
        #expect(violation.held.map(\.level) == [3])
        let file = "LockOrderCheckerTests/CheckerReportTextTests.swift"
        #expect(violation.site == "\(file):\(acquiredLine)")
        #expect(violation.held.first?.site == "\(file):\(heldLine)")
        #expect(violation.rule == Self.levelRule3)
        #expect(violation.exception == nil)
        #expect(violation.missingGuard == nil)
        #expect(
            violation.hint
                == "acquire jl_methtable_t.writelock before typecache_lock (higher levels first), or release typecache_lock before acquiring jl_methtable_t.writelock"
        )
        #expect(violation.count == 1)
        #expect(reportLine(violation, startingWith: "  rule: ") == "  rule: \(Self.levelRule3)")
    }

    @Test("L5 then L3 (jl_methtable_t.writelock, typecache_lock) keeps the level rule")
    func higherLevelFirstIsSilent() {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
        let violations = checkDeclaredRules {
            methodTable.withLock { typecache.withLock {} }
        }
        #expect(violations.isEmpty)
    }

    @Test("the most severe held lock is named: L2 taken under L6 then L1 reports the level 1 lock")
    func lowestHeldLevelIsReported() throws {
        let iolock = CheckedMutex(declared: "jl_uv_mutex")
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let module = CheckedMutex(declared: "jl_module_t.lock")
        let violations = checkDeclaredRules {
            iolock.withLock { permanent.withLock { module.withLock {} } }
        }
        try #require(violations.count == 1)
        #expect(violations[0].kind == .levelInversion)
        #expect(
            violations[0].message
                == "level inversion: acquiring jl_module_t.lock (level 2) while holding gc_perm_lock (level 1)"
        )
        #expect(violations[0].held.map(\.name) == ["gc_perm_lock", "jl_uv_mutex"])
    }

    // MARK: Same level

    @Test("L3 then L3 (typecache_lock, libmap_lock) is a same-level violation")
    func sameLevelReported() throws {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let libmap = CheckedMutex(declared: "libmap_lock")
        let violations = checkDeclaredRules {
            typecache.withLock { libmap.withLock {} }
        }
        try #require(violations.count == 1)
        let violation = violations[0]
        #expect(violation.kind == .sameLevel)
        #expect(
            violation.message
                == "same level: acquiring libmap_lock (level 3) while holding typecache_lock (level 3)")
        #expect(violation.lock?.name == "libmap_lock")
        #expect(violation.lock?.level == 3)
        #expect(violation.held.map(\.name) == ["typecache_lock"])
        #expect(violation.rule == Self.levelRule3)
        #expect(violation.exception == nil, "typecache_lock and libmap_lock have no exception")
        #expect(violation.missingGuard == nil)
        #expect(
            violation.hint
                == "do not hold two level 3 locks at once: release typecache_lock before acquiring libmap_lock, or declare an exception in the hierarchy"
        )
    }

    @Test("L3 then L2 (typecache_lock, jl_module_t.lock) keeps the level rule")
    func lowerLevelUnderSameIsSilent() {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let module = CheckedMutex(declared: "jl_module_t.lock")
        let violations = checkDeclaredRules {
            typecache.withLock { module.withLock {} }
        }
        #expect(violations.isEmpty)
    }

    // MARK: Level 1 leaves

    @Test("any declared lock under a level 1 lock is reported with the leaf wording")
    func leafWording() throws {
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let pages = CheckedMutex(declared: "gc_pages_lock")
        let module = CheckedMutex(declared: "jl_module_t.lock")
        let violations = checkDeclaredRules {
            permanent.withLock { module.withLock {} }
            permanent.withLock { pages.withLock {} }
        }
        try #require(violations.count == 2)
        let leafRule =
            "while a level 1 lock is held, only locks of a strictly lower level may be acquired; \(Self.leafWords)"
        #expect(violations[0].kind == .levelInversion)
        #expect(
            violations[0].message
                == "level inversion: acquiring jl_module_t.lock (level 2) while holding gc_perm_lock (level 1)"
        )
        #expect(violations[0].rule == leafRule)
        #expect(violations[1].kind == .sameLevel)
        #expect(
            violations[1].message
                == "same level: acquiring gc_pages_lock (level 1) while holding gc_perm_lock (level 1)")
        #expect(violations[1].rule == leafRule)
        #expect(reportLine(violations[1], startingWith: "  rule: ") == "  rule: \(leafRule)")
    }

    @Test("a level 1 lock taken last, under higher levels, is silent")
    func leafTakenLastIsSilent() {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let violations = checkDeclaredRules {
            typecache.withLock { permanent.withLock {} }
        }
        #expect(violations.isEmpty)
    }

    // MARK: Level 7 roots

    @Test("world_counter_lock taken under any declared lock is reported with the root wording")
    func rootWording() throws {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let iolock = CheckedMutex(declared: "jl_uv_mutex")
        let precompile = CheckedMutex(declared: "precomp_statement_out_lock")
        let worldCounter = CheckedMutex(declared: "world_counter_lock")
        let violations = checkDeclaredRules {
            typecache.withLock { worldCounter.withLock {} }
            iolock.withLock { worldCounter.withLock {} }
            precompile.withLock { worldCounter.withLock {} }
        }
        try #require(violations.count == 3)
        #expect(violations.map(\.kind) == [.levelInversion, .levelInversion, .sameLevel])
        #expect(
            violations.map(\.message) == [
                "level inversion: acquiring world_counter_lock (level 7) while holding typecache_lock (level 3)",
                "level inversion: acquiring world_counter_lock (level 7) while holding jl_uv_mutex (level 6)",
                "same level: acquiring world_counter_lock (level 7) while holding precomp_statement_out_lock (level 7)",
            ])
        #expect(violations[0].rule == "\(Self.levelRule3); \(Self.rootWords)")
        #expect(
            violations[1].rule
                == "while a level 6 lock is held, only locks of a strictly lower level may be acquired; \(Self.rootWords)"
        )
        #expect(
            violations[2].rule
                == "while a level 7 lock is held, only locks of a strictly lower level may be acquired; \(Self.rootWords)"
        )
    }

    @Test("world_counter_lock taken first, then every level downwards, is silent")
    func rootTakenFirstIsSilent() {
        let worldCounter = CheckedMutex(declared: "world_counter_lock")
        let emission = CheckedReentrantMutex(declared: "JuliaOJIT::EmissionMutex")
        let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
        let methodCache = CheckedMutex(declared: "jl_methcache_t.writelock")
        let typecache = CheckedMutex(declared: "typecache_lock")
        let module = CheckedMutex(declared: "jl_module_t.lock")
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let violations = checkDeclaredRules {
            worldCounter.withLock {
                emission.withLock {
                    methodTable.withLock {
                        methodCache.withLock {
                            typecache.withLock { module.withLock { permanent.withLock {} } }
                        }
                    }
                }
            }
        }
        #expect(violations.isEmpty)
    }

    // MARK: Re-entry

    @Test("re-entering a reentrant level 3 lock is not a new acquisition: no same_level")
    func reentryIsNotAnAcquisition() {
        let typecache = CheckedReentrantMutex(declared: "typecache_lock")
        let module = CheckedMutex(declared: "jl_module_t.lock")
        let violations = checkDeclaredRules {
            typecache.withLock { typecache.withLock {} }
            // Re-entry under a lower level does not block either.
            typecache.withLock { module.withLock { typecache.withLock {} } }
        }
        #expect(violations.isEmpty)
    }

    @Test("two instances of a reentrant level 3 class are two acquisitions: same_level")
    func twoReentrantInstancesAreSameLevel() throws {
        let first = CheckedReentrantMutex(declared: "typecache_lock")
        let second = CheckedReentrantMutex(declared: "typecache_lock")
        let violations = checkDeclaredRules {
            first.withLock { second.withLock {} }
        }
        try #require(violations.count == 1)
        #expect(violations[0].kind == .sameLevel)
        #expect(
            violations[0].message
                == "same level: acquiring typecache_lock (level 3) while holding typecache_lock (level 3)")
        #expect(violations[0].lock?.kind == .reentrantMutex)
    }

    // MARK: Locks outside the hierarchy

    @Test("locks not in the hierarchy get no level checks, in either position")
    func undeclaredLocksAreNotLevelChecked() {
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let worldCounter = CheckedMutex(declared: "world_counter_lock")
        let cache = CheckedMutex("user cache")
        let index = CheckedMutex("user index")
        let unknownName = CheckedMutex(declared: "not_in_the_julia_table")
        let violations = checkDeclaredRules {
            permanent.withLock { cache.withLock {} }
            cache.withLock { worldCounter.withLock {} }
            cache.withLock { index.withLock {} }
            index.withLock { cache.withLock {} }
            permanent.withLock { unknownName.withLock {} }
            unknownName.withLock { worldCounter.withLock {} }
        }
        #expect(violations.isEmpty)
    }
}
