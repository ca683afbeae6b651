import Testing

@testable import LockOrderHierarchy

@Suite("Model values")
struct ModelTests {
    let hierarchy = LockHierarchy.julia

    @Test("selector descriptions")
    func selectorDescriptions() {
        #expect(LockSelector.listedBefore("jl_uv_mutex").description == "any lock listed before jl_uv_mutex")
        #expect(LockSelector.levels([1]).description == "a level 1 lock")
        #expect(LockSelector.levels([1, 2, 3]).description == "a level 1, 2 or 3 lock")
        #expect(LockSelector.kinds(["jl_mutex_t"]).description == "a jl_mutex_t lock")
        #expect(
            LockSelector.kinds(["jl_mutex_t", "uv_mutex_t"]).description == "a jl_mutex_t or uv_mutex_t lock")
        #expect(LockSelector.locks(["a"]).description == "the lock a")
        #expect(LockSelector.locks(["a", "b"]).description == "any of the locks a or b")
        #expect(LockSelector.locks([]).description == "no lock")
    }

    @Test("selector matching")
    func selectorMatching() throws {
        let finalizers = try #require(hierarchy.lock(named: "finalizers_lock"))
        let cfun = try #require(hierarchy.lock(named: "cfun_lock"))
        #expect(LockSelector.levels([1]).matches(finalizers, in: hierarchy))
        #expect(!LockSelector.levels([1]).matches(cfun, in: hierarchy))
        #expect(LockSelector.kinds(["jl_mutex_t"]).matches(finalizers, in: hierarchy))
        #expect(!LockSelector.kinds(["jl_mutex_t"]).matches(cfun, in: hierarchy))
        #expect(LockSelector.locks(["cfun_lock"]).matches(cfun, in: hierarchy))
        #expect(!LockSelector.listedBefore("no_such_lock").matches(finalizers, in: hierarchy))
        let stranger = DeclaredLock(name: "stranger", level: 1)
        #expect(!LockSelector.listedBefore("jl_uv_mutex").matches(stranger, in: hierarchy))
    }

    @Test("exception names")
    func exceptionNames() {
        let guarded = HierarchyException.guardedSameLevel(
            lock: "jl_method_t.writelock", guard: "world_counter_lock")
        #expect(guarded.lockName == "jl_method_t.writelock")
        #expect(guarded.name == "guarded same level (world_counter_lock)")
        let ordered = HierarchyException.instanceOrder(lock: "orc::ThreadSafeContext")
        #expect(ordered.lockName == "orc::ThreadSafeContext")
        #expect(ordered.name == "instance order")
    }

    @Test("operations and options")
    func rawValues() {
        #expect(ThreadOperation.io.rawValue == "io")
        #expect(ThreadOperation.safepoint.rawValue == "safepoint")
        #expect(ThreadOperation.allocation.rawValue == "allocation")
        #expect(ThreadOperation.taskSwitch.rawValue == "task_switch")
        #expect(ThreadOperation.taskSwitch.description == "task_switch")
        #expect(LockOption.safepoint.rawValue == "safepoint")
        #expect(ThreadOperation(rawValue: "io") == .io)
    }

    @Test("descriptions of rules")
    func ruleDescriptions() {
        let rule = ForbiddenOperation(
            operation: .taskSwitch, whileHolding: .kinds(["jl_mutex_t"]), reason: "why")
        #expect(rule.description == "no task_switch while holding a jl_mutex_t lock: why")
        #expect(
            DeclaredLock(name: "a", level: 2, kind: "std::mutex").description == "a (level 2, std::mutex)")
        #expect(
            ImplicitAcquisition(option: .safepoint, lock: "safepoint_lock").description
                == "safepoint operations implicitly acquire safepoint_lock")
    }

    @Test("level range")
    func levelRange() {
        #expect(LockHierarchy.levelRange == 1...255)
    }
}
