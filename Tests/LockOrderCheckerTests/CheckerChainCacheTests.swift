import LockCore
import Testing

/// Allowed chains are remembered per thread so the fast path clears them next time; these tests
/// make sure remembering never hides a violation that comes after an allowed acquisition.
@Suite("The chain cache never hides a violation")
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
}
