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

    @Test("a safepoint lock under a level 3 lock: safepoint_lock (level 1) is lower, silent")
    func safepointUnderHigherLevelIsSilent() {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let finalizers = CheckedReentrantSpinLock(declared: "finalizers_lock", options: [.safepoint])
        let violations = checkDeclaredRules {
            finalizers.withLock {}
            typecache.withLock { finalizers.withLock {} }
        }
        #expect(violations.isEmpty)
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
