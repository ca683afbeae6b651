import LockCore
import LockOrderChecker
import Testing

/// Implicit acquisitions: in Julia, JL_LOCK and JL_UNLOCK are safepoints and take
/// safepoint_lock (level 1); the _NOGC variants do not. A lock made with `options: [.safepoint]`
/// stands for the JL_LOCK variant, the same lock without it for the _NOGC one.
@Suite("Implicit acquisitions (safepoint)", .serialized)
struct CheckerImplicitAcquisitionTests {
    static let leafRule =
        "while a level 1 lock is held, only locks of a strictly lower level may be acquired; level 1 locks are leaves: no other declared lock may be acquired while one is held"

    @Test("a safepoint lock acquired while holding gc_perm_lock implicitly takes safepoint_lock: reported")
    func safepointAcquisitionUnderLevelOneIsReported() throws {
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let taskQueue = CheckedMutex("task queue", options: [.safepoint])
        var acquireLine = 0
        var releaseLine = 0
        let violations = checkDeclaredRules {
            permanent.lock()
            acquireLine = #line + 1
            taskQueue.lock()
            releaseLine = #line + 1
            taskQueue.unlock()
            permanent.unlock()
        }
        try #require(violations.count == 2)
        #expect(violations.map(\.kind) == [.sameLevel, .sameLevel])
        #expect(
            violations.map(\.message) == [
                "same level: acquiring task queue implicitly acquires safepoint_lock (level 1, option safepoint) while holding gc_perm_lock (level 1)",
                "same level: releasing task queue implicitly acquires safepoint_lock (level 1, option safepoint) while holding gc_perm_lock (level 1)",
            ])
        #expect(violations.map(\.site) == ["\(siteFile()):\(acquireLine)", "\(siteFile()):\(releaseLine)"])
        let acquiring = violations[0]
        #expect(acquiring.lock?.name == "task queue")
        #expect(acquiring.lock?.level == nil)
        #expect(acquiring.held.map(\.name) == ["gc_perm_lock"])
        #expect(
            acquiring.rule
                == "\(Self.leafRule); acquiring a lock with the safepoint option also acquires safepoint_lock"
        )
        #expect(
            acquiring.hint
                == "use a variant of task queue without the safepoint option (like JL_LOCK_NOGC), or release gc_perm_lock first"
        )
        #expect(
            violations[1].rule
                == "\(Self.leafRule); releasing a lock with the safepoint option also acquires safepoint_lock"
        )
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
        #expect(
            violations[0].message.hasPrefix(
                "same level: acquiring task queue implicitly acquires safepoint_lock"))
    }

    @Test("JL_UNLOCK of a level 2 lock while holding a level 1 lock taken after it: reported on release")
    func safepointReleaseUnderLevelOneIsReported() throws {
        let module = CheckedMutex(declared: "jl_module_t.lock", options: [.safepoint])
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let violations = checkDeclaredRules {
            module.lock()
            permanent.lock()
            module.unlock()
            permanent.unlock()
        }
        try #require(violations.count == 1)
        #expect(violations[0].kind == .sameLevel)
        #expect(
            violations[0].message
                == "same level: releasing jl_module_t.lock implicitly acquires safepoint_lock (level 1, option safepoint) while holding gc_perm_lock (level 1)"
        )
        #expect(violations[0].lock?.level == 2)
        #expect(violations[0].held.map(\.name) == ["gc_perm_lock"])
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
        let jlLock = checkDeclaredRules {
            permanent.lock()
            withSafepoint.lock()
            withSafepoint.unlock()
            permanent.unlock()
        }
        let noGC = checkDeclaredRules {
            permanent.lock()
            withoutSafepoint.lock()
            withoutSafepoint.unlock()
            permanent.unlock()
        }
        #expect(jlLock.map(\.kind) == [.levelInversion, .sameLevel, .sameLevel])
        #expect(
            jlLock.map(\.message) == [
                "level inversion: acquiring jl_module_t.lock (level 2) while holding gc_perm_lock (level 1)",
                "same level: acquiring jl_module_t.lock implicitly acquires safepoint_lock (level 1, option safepoint) while holding gc_perm_lock (level 1)",
                "same level: releasing jl_module_t.lock implicitly acquires safepoint_lock (level 1, option safepoint) while holding gc_perm_lock (level 1)",
            ])
        #expect(
            noGC.map(\.message) == [
                "level inversion: acquiring jl_module_t.lock (level 2) while holding gc_perm_lock (level 1)"
            ])
    }

    @Test("a safepoint lock taken while holding safepoint_lock itself would take it again: reported")
    func safepointWhileHoldingSafepointLockIsReported() throws {
        let safepoint = CheckedMutex(declared: "safepoint_lock")
        let taskQueue = CheckedMutex("task queue", options: [.safepoint])
        let violations = checkDeclaredRules {
            safepoint.lock()
            taskQueue.lock()
            taskQueue.unlock()
            safepoint.unlock()
        }
        try #require(violations.count == 2)
        #expect(
            violations[0].message
                == "same level: acquiring task queue implicitly acquires safepoint_lock (level 1, option safepoint) while holding safepoint_lock (level 1)"
        )
    }
}
