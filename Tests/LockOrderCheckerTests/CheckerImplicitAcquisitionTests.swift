import LockCore
import LockOrderChecker
import Testing

/// Implicit acquisitions: in Julia, JL_LOCK and JL_UNLOCK are safepoints and take
/// safepoint_lock (level 1); the _NOGC variants do not. A lock made with `options: [.safepoint]`
/// stands for the JL_LOCK variant, the same lock without it for the _NOGC one.
@Suite("Implicit acquisitions (safepoint)", .serialized)
struct CheckerImplicitAcquisitionTests {
    /// The finding of an implicit safepoint_lock acquisition under a level 1 lock.
    static func safepoint(heldLevel: Int = 1, releasing: Bool) -> Finding.Reason {
        .implicitAcquisition(
            option: "safepoint", implicitLock: "safepoint_lock", implicitLevel: 1, heldLevel: heldLevel,
            rootLevel: 7,
            releasing: releasing)
    }

    @Test("a safepoint lock acquired while holding gc_perm_lock implicitly takes safepoint_lock: reported")
    func safepointAcquisitionUnderLevelOneIsReported() throws {
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let taskQueue = CheckedMutex("task queue", options: [.safepoint])
        var acquireLine = 0
        var releaseLine = 0
        let findings = declaredRuleFindings {
            permanent.lock()
            acquireLine = #line + 1
            taskQueue.lock()
            releaseLine = #line + 1
            taskQueue.unlock()
            permanent.unlock()
        }
        #expect(findings.map(\.kind) == [.sameLevel, .sameLevel])
        #expect(
            findings.map(\.reason) == [Self.safepoint(releasing: false), Self.safepoint(releasing: true)])
        #expect(findings.map(\.site) == ["\(siteFile()):\(acquireLine)", "\(siteFile()):\(releaseLine)"])
        try #require(findings.count == 2)
        #expect(findings[0].lock?.name == "task queue")
        #expect(findings[0].lock?.level == nil)
        #expect(findings[0].conflicting?.name == "gc_perm_lock")
        #expect(findings[0].held.map(\.name) == ["gc_perm_lock"])
    }

    @Test("the same lock without the safepoint option (the _NOGC variant) under gc_perm_lock is silent")
    func noGCVariantIsSilent() {
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let taskQueue = CheckedMutex("task queue")
        let violations = checkDeclaredRules {
            permanent.withLock { taskQueue.withLock {} }
        }
        #expect(violations.isEmpty)
    }

    @Test("lock and unlock in one withLock share a site: one distinct violation, two occurrences")
    func withLockCountsBothSafepoints() throws {
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let taskQueue = CheckedMutex("task queue", options: [.safepoint])
        let violations = checkDeclaredRules {
            permanent.withLock { taskQueue.withLock {} }
        }
        try #require(violations.count == 1)
        #expect(violations[0].count == 2)
        #expect(violations[0].kind == .sameLevel)
        #expect(violations[0].lock?.name == "task queue")
    }

    @Test("JL_UNLOCK of a level 2 lock while holding a level 1 lock taken after it: reported on release")
    func safepointReleaseUnderLevelOneIsReported() throws {
        let module = CheckedMutex(declared: "jl_module_t.lock", options: [.safepoint])
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let findings = declaredRuleFindings {
            module.lock()
            permanent.lock()
            module.unlock()
            permanent.unlock()
        }
        #expect(findings.map(\.reason) == [Self.safepoint(releasing: true)])
        try #require(findings.count == 1)
        #expect(findings[0].lock?.name == "jl_module_t.lock")
        #expect(findings[0].lock?.level == 2)
        #expect(findings[0].held.map(\.name) == ["gc_perm_lock"])
    }

    @Test("the same out-of-order release with the _NOGC variant is silent")
    func noGCReleaseIsSilent() {
        let module = CheckedMutex(declared: "jl_module_t.lock")
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let violations = checkDeclaredRules {
            module.lock()
            permanent.lock()
            module.unlock()
            permanent.unlock()
        }
        #expect(violations.isEmpty)
    }

    @Test("a level 2 safepoint lock under a level 3 lock: safepoint_lock (level 1) is lower, silent")
    func safepointUnderHigherLevelIsSilent() {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let module = CheckedReentrantSpinLock(declared: "jl_module_t.lock", options: [.safepoint])
        let violations = checkDeclaredRules {
            module.withLock {}
            typecache.withLock { module.withLock {} }
        }
        #expect(violations.isEmpty)
    }

    // MARK: A level 1 lock taken with the safepoint option (Julia: JL_LOCK instead of JL_LOCK_NOGC)

    /// The finding of a level 1 safepoint lock's own implicit safepoint_lock acquisition.
    static func underItself(releasing: Bool) -> Finding.Reason {
        .implicitAcquisitionUnderItself(
            option: "safepoint", implicitLock: "safepoint_lock", implicitLevel: 1, level: 1, rootLevel: 7,
            releasing: releasing)
    }

    @Test("a level 1 lock taken and released with the safepoint option, nothing else held: reported at both")
    func levelOneLockWithSafepointIsReported() throws {
        let finalizers = CheckedReentrantSpinLock(declared: "finalizers_lock", options: [.safepoint])
        var lockLine = 0
        var unlockLine = 0
        let findings = declaredRuleFindings {
            lockLine = #line + 1
            finalizers.lock()
            unlockLine = #line + 1
            finalizers.unlock()
        }
        #expect(findings.map(\.kind) == [.sameLevel, .sameLevel])
        #expect(
            findings.map(\.reason) == [Self.underItself(releasing: false), Self.underItself(releasing: true)])
        #expect(findings.map(\.site) == ["\(siteFile()):\(lockLine)", "\(siteFile()):\(unlockLine)"])
        #expect(findings.map { $0.lock?.name } == ["finalizers_lock", "finalizers_lock"])
        #expect(findings.map { $0.conflicting?.name } == ["finalizers_lock", "finalizers_lock"])
        #expect(findings.map { $0.lock?.level } == [1, 1])
        #expect(findings.allSatisfy { $0.held.isEmpty })
        // The words name the _NOGC variants (the sentences are asserted in FindingTextTests).
        let violations = checkDeclaredRules { finalizers.withLock {} }
        try #require(violations.count == 1)
        #expect(violations[0].kind == .sameLevel)
        #expect(violations[0].count == 2, "JL_LOCK and JL_UNLOCK of one withLock share its site")
        #expect(
            violations[0].message
                == "same level: acquiring finalizers_lock (level 1) with the safepoint option implicitly acquires safepoint_lock (level 1) under finalizers_lock itself"
        )
        #expect(violations[0].hint.contains("JL_LOCK_NOGC and JL_UNLOCK_NOGC"))
    }

    @Test("its _NOGC twin (the same level 1 lock without the safepoint option) is silent, alone and nested")
    func levelOneLockWithoutSafepointIsSilent() {
        let finalizers = CheckedReentrantSpinLock(declared: "finalizers_lock")
        let typecache = CheckedMutex(declared: "typecache_lock")
        let violations = checkDeclaredRules {
            finalizers.withLock {}
            typecache.withLock { finalizers.withLock {} }
            finalizers.lock()
            finalizers.unlock()
        }
        #expect(violations.isEmpty)
    }

    @Test(
        "a level 1 safepoint lock under a level 3 lock: its own safepoint still counts, the held lock does not"
    )
    func levelOneLockWithSafepointUnderHigherLevel() {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let finalizers = CheckedReentrantSpinLock(declared: "finalizers_lock", options: [.safepoint])
        let findings = declaredRuleFindings {
            for _ in 0..<3 {
                typecache.withLock {
                    finalizers.lock()
                    finalizers.unlock()
                }
            }
        }
        #expect(
            findings.map(\.reason) == [Self.underItself(releasing: false), Self.underItself(releasing: true)])
        #expect(findings.map { $0.held.map(\.name) } == [["typecache_lock"], ["typecache_lock"]])
    }

    @Test(
        "the unlock side alone: a trylock (exempt) then JL_UNLOCK of a level 1 lock is reported at the unlock"
    )
    func levelOneLockWithSafepointReleaseIsReported() throws {
        let permanent = CheckedMutex(declared: "gc_perm_lock", options: [.safepoint])
        var unlockLine = 0
        let findings = declaredRuleFindings {
            if permanent.tryLock() {
                unlockLine = #line + 1
                permanent.unlock()
            }
        }
        #expect(findings.map(\.reason) == [Self.underItself(releasing: true)])
        #expect(findings.map(\.kind) == [.sameLevel])
        #expect(findings.map(\.site) == ["\(siteFile()):\(unlockLine)"])
        #expect(findings.first?.lock?.name == "gc_perm_lock")
    }

    @Test(
        "a declared level 2 safepoint lock under a level 1 lock: the level rule and the implicit rule both speak"
    )
    func safepointAddsToLevelRule() throws {
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let withSafepoint = CheckedMutex(declared: "jl_module_t.lock", options: [.safepoint])
        let withoutSafepoint = CheckedMutex(declared: "jl_module_t.lock")
        let jlLock = declaredRuleFindings {
            permanent.lock()
            withSafepoint.lock()
            withSafepoint.unlock()
            permanent.unlock()
        }
        let noGC = declaredRuleFindings {
            permanent.lock()
            withoutSafepoint.lock()
            withoutSafepoint.unlock()
            permanent.unlock()
        }
        let inversion = Finding.Reason.lowerLevelHeld(
            heldLevel: 1, level: 2, rootLevel: 7, lockHasExceptions: false)
        #expect(jlLock.map(\.kind) == [.levelInversion, .sameLevel, .sameLevel])
        #expect(
            jlLock.map(\.reason) == [
                inversion, Self.safepoint(releasing: false), Self.safepoint(releasing: true),
            ])
        #expect(noGC.map(\.reason) == [inversion])
    }

    @Test("a safepoint lock taken while holding safepoint_lock itself would take it again: reported")
    func safepointWhileHoldingSafepointLockIsReported() throws {
        let safepoint = CheckedMutex(declared: "safepoint_lock")
        let taskQueue = CheckedMutex("task queue", options: [.safepoint])
        let findings = declaredRuleFindings {
            safepoint.lock()
            taskQueue.lock()
            taskQueue.unlock()
            safepoint.unlock()
        }
        #expect(
            findings.map(\.reason) == [Self.safepoint(releasing: false), Self.safepoint(releasing: true)])
        #expect(findings.map { $0.conflicting?.name } == ["safepoint_lock", "safepoint_lock"])
    }
}
