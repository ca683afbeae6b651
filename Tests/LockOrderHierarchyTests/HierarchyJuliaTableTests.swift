import Testing

@testable import LockOrderHierarchy

@Suite("Built-in Julia table")
struct JuliaTableTests {
    let julia = LockHierarchy.julia

    @Test("lock count per level: 22, 8, 3, 1, 1, 7, 3 (45 locks)")
    func countsPerLevel() {
        var counts: [Int: Int] = [:]
        for lock in julia.locks { counts[lock.level, default: 0] += 1 }
        #expect(counts == [1: 22, 2: 8, 3: 3, 4: 1, 5: 1, 6: 7, 7: 3])
        #expect(julia.locks.count == 45)
        #expect(julia.name == "julia")
    }

    @Test("levels never increase in table order")
    func tableOrderFollowsLevels() {
        let levels = julia.locks.map(\.level)
        #expect(levels == levels.sorted())
        #expect(julia.locks.first?.name == "safepoint_lock")
        #expect(julia.locks.last?.name == "dispatch_statement_out_lock")
    }

    @Test(
        "specific locks have the document's level and kind",
        arguments: [
            ("safepoint_lock", 1, "uv_mutex_t"),
            ("finalizers_lock", 1, "jl_mutex_t"),
            ("debuginfo_asyncsafe", 1, "uv_rwlock_t"),
            ("jl_in_stackwalk", 1, "uv_mutex_t"),
            ("engine_lock", 1, "std::mutex"),
            ("JLDebuginfoPlugin.PluginMutex", 2, "std::mutex"),
            ("live_tasks_lock", 2, "uv_mutex_t"),
            ("JuliaOJIT::EmissionMutex", 6, "std::recursive_mutex"),
            ("cfun_lock", 6, nil),
            ("Libdl.LazyLibrary.lock", 6, "ReentrantLock"),
            ("ThreadSynchronizer", 6, nil),
            ("orc::ThreadSafeContext", 6, nil),
            ("world_counter_lock", 7, nil),
            ("jl_methtable_t.writelock", 5, nil),
            ("jl_methcache_t.writelock", 4, nil),
            ("jl_method_t.writelock", 3, nil),
            ("jl_uv_mutex", 6, nil),
        ] as [(String, Int, String?)])
    func lockLevelAndKind(name: String, level: Int, kind: String?) throws {
        let lock = try #require(julia.lock(named: name))
        #expect(lock.name == name)
        #expect(lock.level == level)
        #expect(lock.kind == kind)
    }

    @Test("jl_in_stackwalk is noted as Win32 only")
    func win32Note() {
        #expect(julia.lock(named: "jl_in_stackwalk")?.note == "Win32 only")
    }

    @Test("the four bullets before the Level 7 heading are level 6, after jl_uv_mutex")
    func layoutQuirk() throws {
        let uv = try #require(julia.index(of: "jl_uv_mutex"))
        let names = ["ThreadSynchronizer", "Libdl.LazyLibrary.lock", "orc::ThreadSafeContext", "cfun_lock"]
        for (offset, name) in names.enumerated() {
            #expect(julia.index(of: name) == uv + 1 + offset)
            #expect(julia.lock(named: name)?.level == 6)
        }
        #expect(julia.index(of: "world_counter_lock") == uv + 5)
        #expect(julia.locks.filter { $0.name == "world_counter_lock" }.count == 1)
    }

    @Test("kind labels are the document's")
    func kindLabels() {
        let kinds = Set(julia.locks.compactMap(\.kind))
        #expect(
            kinds == [
                "uv_mutex_t", "std::mutex", "jl_mutex_t", "std::recursive_mutex", "ReentrantLock",
                "uv_rwlock_t",
            ])
        #expect(julia.locks.filter { $0.kind == nil }.count == 19)
    }

    @Test("names are unique and lookups agree with table order")
    func lookups() {
        for (index, lock) in julia.locks.enumerated() {
            #expect(julia.index(of: lock.name) == index)
            #expect(julia.lock(named: lock.name) == lock)
        }
        #expect(julia.lock(named: "no_such_lock") == nil)
        #expect(julia.index(of: "no_such_lock") == nil)
    }

    @Test("exceptions and implicit acquisitions")
    func exceptions() {
        #expect(
            julia.exceptions == [
                .guardedSameLevel(lock: "jl_method_t.writelock", guard: "world_counter_lock"),
                .instanceOrder(lock: "orc::ThreadSafeContext"),
            ])
        #expect(
            julia.implicitAcquisitions == [ImplicitAcquisition(option: .safepoint, lock: "safepoint_lock")])
    }

    @Test("forbidden operations")
    func forbiddenOperations() {
        let rules = julia.forbiddenOperations.map { ($0.operation, $0.whileHolding) }
        #expect(rules.count == 4)
        #expect(rules.map(\.0) == [.io, .safepoint, .allocation, .taskSwitch])
        #expect(
            rules.map(\.1) == [
                .listedBefore("jl_uv_mutex"), .levels([1]), .levels([1]), .kinds(["jl_mutex_t"]),
            ])
        #expect(julia.forbiddenOperations.allSatisfy { !$0.reason.isEmpty })
    }

    @Test("listedBefore jl_uv_mutex")
    func listedBeforeIOLock() throws {
        let selector = LockSelector.listedBefore("jl_uv_mutex")
        func matches(_ name: String) throws -> Bool {
            selector.matches(try #require(julia.lock(named: name)), in: julia)
        }
        #expect(try matches("jl_modules_mutex"))
        #expect(try matches("typecache_lock"))
        #expect(try matches("safepoint_lock"))
        #expect(try matches("JuliaOJIT::EmissionMutex"))
        #expect(try !matches("jl_uv_mutex"))
        #expect(try !matches("cfun_lock"))
        #expect(try !matches("ThreadSynchronizer"))
        #expect(try !matches("world_counter_lock"))
        #expect(julia.locks.filter { selector.matches($0, in: julia) }.count == 37)
    }

    @Test("the built-in table passes the public validation")
    func validates() throws {
        let checked = try LockHierarchy(
            name: julia.name, locks: julia.locks, exceptions: julia.exceptions,
            implicitAcquisitions: julia.implicitAcquisitions,
            forbiddenOperations: julia.forbiddenOperations)
        #expect(checked == julia)
        #expect(checked.hashValue == julia.hashValue)
    }
}
