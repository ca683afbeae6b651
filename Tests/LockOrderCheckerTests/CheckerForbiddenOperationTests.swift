import LockCore
import LockOrderChecker
import Testing

/// Performs `operation` from one fixed call site, whatever the operation: the site of every
/// report made through it is the same line.
@inline(never)
func performThroughOneSite(_ operation: ThreadOperation) {
    LockOrder.willPerform(operation)
}

/// Operations the Julia table forbids while some locks are held: I/O above the iolock,
/// safepoints and allocation under level 1 locks, task switches while holding a jl_mutex_t.
@Suite("Forbidden operations", .serialized)
struct CheckerForbiddenOperationTests {
    @Test("io while holding typecache_lock (listed before jl_uv_mutex) is reported")
    func ioUnderTypecacheIsReported() throws {
        let typecache = CheckedMutex(declared: "typecache_lock")
        var operationLine = 0
        let violations = checkDeclaredRules {
            typecache.withLock {
                operationLine = #line + 1
                LockOrder.willPerform(.io)
            }
        }
        try #require(violations.count == 1)
        let violation = violations[0]
        #expect(violation.kind == .forbiddenOperation)
        #expect(violation.operation == "io")
        #expect(violation.lock == nil)
        #expect(violation.held.map(\.name) == ["typecache_lock"])
        #expect(violation.site == "\(siteFile()):\(operationLine)")
        let findings = declaredRuleFindings {
            typecache.withLock { LockOrder.willPerform(.io) }
        }
        let ioRule = try #require(LockHierarchy.julia.forbiddenOperations.first { $0.operation == .io })
        #expect(findings.map(\.reason) == [.forbiddenOperation(ioRule)])
        #expect(findings.map { $0.conflicting?.name } == ["typecache_lock"])
        #expect(reportLine(violation, startingWith: "  at: ") == "  at: \(siteFile()):\(operationLine)")
        #expect(reportLine(violation, startingWith: "  operation: ") == "  operation: io")
        #expect(reportLine(violation, startingWith: "  lock: ") == nil)
    }

    @Test("io while holding only jl_uv_mutex, or only world_counter_lock, or both, is silent")
    func ioUnderIOLockIsSilent() {
        let iolock = CheckedMutex(declared: "jl_uv_mutex")
        let worldCounter = CheckedMutex(declared: "world_counter_lock")
        let cache = CheckedMutex("user cache")
        let violations = checkDeclaredRules {
            iolock.withLock { LockOrder.willPerform(.io) }
            worldCounter.withLock { LockOrder.willPerform(.io) }
            worldCounter.withLock { iolock.withLock { LockOrder.willPerform(.io) } }
            cache.withLock { LockOrder.willPerform(.io) }
            LockOrder.willPerform(.io)
        }
        #expect(violations.isEmpty)
    }

    @Test("a safepoint and an allocation while holding gc_perm_lock (level 1) are reported")
    func safepointAndAllocationUnderLevelOneAreReported() throws {
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let violations = checkDeclaredRules {
            permanent.withLock {
                LockOrder.willPerform(.safepoint)
                LockOrder.willPerform(.allocation)
            }
        }
        try #require(violations.count == 2)
        #expect(violations.map(\.kind) == [.forbiddenOperation, .forbiddenOperation])
        #expect(violations.map(\.held.first?.name) == ["gc_perm_lock", "gc_perm_lock"])
        #expect(violations.map(\.operation) == ["safepoint", "allocation"])
        let findings = declaredRuleFindings {
            permanent.withLock {
                LockOrder.willPerform(.safepoint)
                LockOrder.willPerform(.allocation)
            }
        }
        let forbidden = LockHierarchy.julia.forbiddenOperations
        let safepointRule = try #require(forbidden.first { $0.operation == .safepoint })
        let allocationRule = try #require(forbidden.first { $0.operation == .allocation })
        #expect(
            findings.map(\.reason) == [
                .forbiddenOperation(safepointRule), .forbiddenOperation(allocationRule),
            ])
    }

    @Test("a safepoint and an allocation while holding typecache_lock (level 3) are silent")
    func safepointAndAllocationUnderLevelThreeAreSilent() {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let violations = checkDeclaredRules {
            typecache.withLock {
                LockOrder.willPerform(.safepoint)
                LockOrder.willPerform(.allocation)
            }
        }
        #expect(violations.isEmpty)
    }

    @Test("a task switch while holding finalizers_lock (a jl_mutex_t) is reported")
    func taskSwitchUnderJLMutexIsReported() throws {
        let finalizers = CheckedReentrantSpinLock(declared: "finalizers_lock")
        let violations = checkDeclaredRules {
            finalizers.withLock { LockOrder.willPerform(.taskSwitch) }
        }
        try #require(violations.count == 1)
        #expect(violations[0].kind == .forbiddenOperation)
        #expect(violations[0].operation == "task_switch")
        #expect(violations[0].held.first?.name == "finalizers_lock")
        #expect(violations[0].held.first?.declaredKind == "jl_mutex_t")
        #expect(violations[0].held.first?.kind == .reentrantSpinLock)
        let findings = declaredRuleFindings {
            finalizers.withLock { LockOrder.willPerform(.taskSwitch) }
        }
        let taskSwitchRule = try #require(
            LockHierarchy.julia.forbiddenOperations.first { $0.operation == .taskSwitch })
        #expect(findings.map(\.reason) == [.forbiddenOperation(taskSwitchRule)])
        #expect(findings.map { $0.conflicting?.name } == ["finalizers_lock"])
    }

    @Test("a task switch while holding gc_perm_lock (a uv_mutex_t) or typecache_lock is silent")
    func taskSwitchUnderOtherKindsIsSilent() {
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let typecache = CheckedMutex(declared: "typecache_lock")
        let violations = checkDeclaredRules {
            permanent.withLock { LockOrder.willPerform(.taskSwitch) }
            typecache.withLock { LockOrder.willPerform(.taskSwitch) }
        }
        #expect(violations.isEmpty)
    }

    @Test("two operations forbidden under one lock, reported from one call site, are two violations")
    func operationsFromOneSiteStayDistinct() throws {
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        let violations = checkDeclaredRules {
            permanent.withLock {
                performThroughOneSite(.safepoint)
                performThroughOneSite(.allocation)
                performThroughOneSite(.allocation)
            }
        }
        try #require(violations.count == 2)
        #expect(violations.map(\.operation) == ["safepoint", "allocation"])
        #expect(violations.map(\.count) == [1, 2])
        #expect(violations[0].site == violations[1].site)
    }
}
