import CLockOrderSupport
import LockCore
import LockOrderChecker
import LockOrderTestSupport
import Testing

/// Allowed chains are remembered per thread so the fast path clears them next time; these tests
/// make sure remembering never hides a violation that comes after an allowed acquisition.
@Suite("The chain cache never hides a violation", .serialized)
struct CheckerChainCacheTests {
    @Test(
        "an allowed guarded chain, then the same locks without the guard: same_level",
        arguments: [false, true])
    func guardedThenUnguarded(learnsOrder: Bool) {
        let violations = LockOrder.withChecking(learnsOrder: learnsOrder) {
            let worldCounter = CheckedMutex(declared: "world_counter_lock")
            let first = CheckedMutex(declared: "jl_method_t.writelock")
            let second = CheckedMutex(declared: "jl_method_t.writelock")
            for _ in 0..<3 {
                worldCounter.withLock { first.withLock { second.withLock {} } }
            }
            for _ in 0..<2 {
                first.withLock { second.withLock {} }
            }
        }
        #expect(violations.map(\.kind) == [.sameLevel])
        #expect(violations.first?.missingGuard == "world_counter_lock")
        #expect(violations.first?.count == 2, "each occurrence is seen, none cleared by the cache")
    }

    @Test(
        "instance order kept, then the same classes out of order: instance_order", arguments: [false, true])
    func orderedThenOutOfOrder(learnsOrder: Bool) {
        let violations = LockOrder.withChecking(learnsOrder: learnsOrder) {
            let low = CheckedMutex(declared: "orc::ThreadSafeContext", orderKey: 1)
            let high = CheckedMutex(declared: "orc::ThreadSafeContext", orderKey: 2)
            for _ in 0..<3 {
                low.withLock { high.withLock {} }
            }
            high.withLock { low.withLock {} }
        }
        #expect(violations.map(\.kind) == [.instanceOrder])
    }

    @Test("an allowed implicit safepoint chain stays allowed; a level 1 holder is still reported")
    func implicitAcquisitionChains() {
        let violations = LockOrder.withChecking(learnsOrder: false) {
            let typecache = CheckedMutex(declared: "typecache_lock")
            let withSafepoint = CheckedReentrantSpinLock(declared: "jl_module_t.lock", options: [.safepoint])
            for _ in 0..<3 {
                typecache.withLock { withSafepoint.withLock {} }
            }
            let leaf = CheckedMutex(declared: "gc_perm_lock")
            let undeclared = CheckedMutex("undeclared with safepoint", options: [.safepoint])
            leaf.withLock { undeclared.withLock {} }
        }
        #expect(violations.map(\.kind).contains(.sameLevel))
        #expect(violations.allSatisfy { $0.message.contains("implicitly acquires safepoint_lock") })
    }

    /// Two levels, outer above inner, or the other way round.
    static func twoLevels(outerAbove: Bool) throws -> LockHierarchy {
        try LockHierarchy(
            name: "chain-cache test",
            locks: [
                DeclaredLock(name: "chaincache.outer", level: outerAbove ? 2 : 1),
                DeclaredLock(name: "chaincache.inner", level: outerAbove ? 1 : 2),
            ])
    }

    @Test("a chain another thread found allowed is known to every thread, without the slow path")
    func sharedChainIsKnownEverywhere() {
        let outer = CheckedMutex("chaincache shared outer")
        let inner = CheckedMutex("chaincache shared inner")
        var counts: [UInt64] = []
        let violations = LockOrder.withChecking {
            counts.append(lockorder_chain_set_count())
            TestThread.runAndWait { outer.withLock { inner.withLock {} } }
            counts.append(lockorder_chain_set_count())
            // The same chain on two more threads: found in the set, nothing added.
            TestThread.runConcurrently(2) { _ in outer.withLock { inner.withLock {} } }
            outer.withLock { inner.withLock {} }
            counts.append(lockorder_chain_set_count())
        }
        #expect(violations.isEmpty)
        #expect(counts == [0, 1, 1], "one chain, found allowed once, in a set emptied by the new session")
    }

    @Test("a chain known to the process-wide set is checked again under new rules (a new session)")
    func sharedChainIsStaleUnderNewRules() throws {
        let outer = CheckedMutex(declared: "chaincache.outer")
        let inner = CheckedMutex(declared: "chaincache.inner")
        let allowed = try LockOrder.withChecking(hierarchy: Self.twoLevels(outerAbove: true)) {
            TestThread.runAndWait { for _ in 0..<3 { outer.withLock { inner.withLock {} } } }
            #expect(lockorder_chain_set_count() == 1)
        }
        #expect(allowed.isEmpty)
        // Now the inner lock is the higher one: the same chain breaks the level rule, on this
        // thread and on another, which both find the set holding nothing for the new session.
        let take: @Sendable () -> Void = { outer.withLock { inner.withLock {} } }  // one site for both
        let reported = try LockOrder.withChecking(hierarchy: Self.twoLevels(outerAbove: false)) {
            take()
            TestThread.runAndWait(take)
            #expect(lockorder_chain_set_count() == 0, "a violation is never remembered")
        }
        #expect(reported.map(\.kind) == [.levelInversion])
        #expect(reported.first?.count == 2, "each thread's occurrence is checked and counted")
    }

    @Test("a chain that closes a cycle is never remembered: every occurrence on every thread counts")
    func cycleIsNeverShared() {
        let first = CheckedMutex("chaincache cycle first")
        let second = CheckedMutex("chaincache cycle second")
        var counts: [UInt64] = []
        let violations = LockOrder.withChecking {
            first.withLock { second.withLock {} }
            counts.append(lockorder_chain_set_count())
            let inverted: @Sendable () -> Void = { second.withLock { first.withLock {} } }  // one site
            TestThread.runConcurrently(2) { _ in
                for _ in 0..<2 { inverted() }
            }
            inverted()
            counts.append(lockorder_chain_set_count())
        }
        #expect(violations.map(\.kind) == [.orderCycle])
        #expect(violations.first?.count == 5)
        #expect(counts == [1, 1], "only the allowed chain is in the set")
    }

    @Test("two locks of one class with different options: the allowed chain does not clear the other")
    func optionsAreInTheChainKey() {
        let permanent = CheckedMutex(declared: "gc_perm_lock")
        // One creation site: one class, with and without the safepoint option.
        let locks = [false, true].map { CheckedMutex("chaincache option", options: $0 ? [.safepoint] : []) }
        let reported = LockOrder.withCheckingFindings(learnsOrder: true) {
            for _ in 0..<3 { permanent.withLock { locks[0].withLock {} } }
            permanent.withLock { locks[1].withLock {} }
        }
        #expect(locks[0].identity.classID == locks[1].identity.classID)
        // The release at the same site (an implicit acquisition too) is counted on the same report.
        #expect(
            reported.compactMap(\.finding).map(\.reason) == [
                CheckerImplicitAcquisitionTests.safepoint(releasing: false)
            ], "the acquisition is checked, not only the release")
        #expect(reported.first?.violation.count == 2)
    }
}
