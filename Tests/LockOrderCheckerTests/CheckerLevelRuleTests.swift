import LockCore
import LockOrderChecker
import Testing

/// The level rule on the Julia table: while a lock of level L is held, only strictly lower
/// levels may be acquired. Each rule is broken once and kept once.
@Suite("Declared levels", .serialized)
struct CheckerLevelRuleTests {
    // MARK: Level inversion

    @Test("L3 then L5 (typecache_lock, jl_methtable_t.writelock) is a level inversion")
    func levelInversionReported() throws {
        // The same sequence the report-text tests read line by line.
        let typecache = CheckedMutex(declared: "typecache_lock")
        let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
        var (heldLine, acquiredLine) = (0, 0)
        let findings = declaredRuleFindings {
            heldLine = #line + 1
            typecache.lock()
            acquiredLine = #line + 1
            methodTable.lock()
            methodTable.unlock()
            typecache.unlock()
        }
        try #require(findings.count == 1)
        let finding = findings[0]
        #expect(finding.kind == .levelInversion)
        #expect(
            finding.reason == .lowerLevelHeld(heldLevel: 3, level: 5, rootLevel: 7, lockHasExceptions: false))
        #expect(finding.lock?.name == "jl_methtable_t.writelock")
        #expect(finding.lock?.level == 5)
        #expect(finding.conflicting?.name == "typecache_lock")
        #expect(finding.held.map(\.name) == ["typecache_lock"])
        #expect(finding.held.map(\.level) == [3])
        #expect(finding.site == "\(siteFile()):\(acquiredLine)")
        #expect(finding.held.first?.site == "\(siteFile()):\(heldLine)")
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
        let findings = declaredRuleFindings {
            iolock.withLock { permanent.withLock { module.withLock {} } }
        }
        try #require(findings.count == 1)
        #expect(
            findings[0].reason
                == .lowerLevelHeld(heldLevel: 1, level: 2, rootLevel: 7, lockHasExceptions: false))
        #expect(findings[0].conflicting?.name == "gc_perm_lock")
        #expect(findings[0].held.map(\.name) == ["gc_perm_lock", "jl_uv_mutex"])
    }

    // MARK: Same level

    @Test("L3 then L3 (typecache_lock, libmap_lock) is a same-level violation")
    func sameLevelReported() throws {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let libmap = CheckedMutex(declared: "libmap_lock")
        let findings = declaredRuleFindings {
            typecache.withLock { libmap.withLock {} }
        }
        try #require(findings.count == 1)
        #expect(findings[0].kind == .sameLevel)
        #expect(
            findings[0].reason == .sameLevelHeld(level: 3, rootLevel: 7, exception: .none),
            "typecache_lock and libmap_lock have no exception")
        #expect(findings[0].lock?.name == "libmap_lock")
        #expect(findings[0].lock?.level == 3)
        #expect(findings[0].conflicting?.name == "typecache_lock")
        #expect(findings[0].held.map(\.name) == ["typecache_lock"])
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
        let findings = declaredRuleFindings {
            permanent.withLock { module.withLock {} }
            permanent.withLock { pages.withLock {} }
        }
        #expect(
            findings.map(\.reason) == [
                .lowerLevelHeld(heldLevel: 1, level: 2, rootLevel: 7, lockHasExceptions: false),
                .sameLevelHeld(level: 1, rootLevel: 7, exception: .none),
            ])
        #expect(findings.map { $0.lock?.name } == ["jl_module_t.lock", "gc_pages_lock"])
        #expect(findings.map { $0.conflicting?.name } == ["gc_perm_lock", "gc_perm_lock"])
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
        let findings = declaredRuleFindings {
            typecache.withLock { worldCounter.withLock {} }
            iolock.withLock { worldCounter.withLock {} }
            precompile.withLock { worldCounter.withLock {} }
        }
        #expect(
            findings.map(\.reason) == [
                .lowerLevelHeld(heldLevel: 3, level: 7, rootLevel: 7, lockHasExceptions: false),
                .lowerLevelHeld(heldLevel: 6, level: 7, rootLevel: 7, lockHasExceptions: false),
                .sameLevelHeld(level: 7, rootLevel: 7, exception: .none),
            ])
        #expect(
            findings.map { $0.conflicting?.name } == [
                "typecache_lock", "jl_uv_mutex", "precomp_statement_out_lock",
            ])
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
        let findings = declaredRuleFindings {
            first.withLock { second.withLock {} }
        }
        try #require(findings.count == 1)
        #expect(findings[0].reason == .sameLevelHeld(level: 3, rootLevel: 7, exception: .none))
        #expect(findings[0].lock?.name == "typecache_lock")
        #expect(findings[0].conflicting?.name == "typecache_lock")
        #expect(findings[0].lock?.kind == .reentrantMutex)
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
