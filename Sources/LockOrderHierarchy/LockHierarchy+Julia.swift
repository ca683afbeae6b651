extension LockHierarchy {
    /// The Julia runtime's lock hierarchy, transcribed from "Proper maintenance
    /// and care of multi-threading locks" (docs/src/devdocs/locks.md), in
    /// table order.
    ///
    /// Layout reading: the four bullets "Individual ThreadSynchronizer locks",
    /// `Libdl.LazyLibrary.lock`, `orc::ThreadSafeContext` and `cfun_lock`
    /// stand after the sentence introducing `world_counter_lock` as a level 7
    /// lock but before the "Level 7" heading; they continue the level 6 list.
    /// `world_counter_lock` is level 7, listed once, under "Level 7".
    ///
    /// Counts per level: 1: 22, 2: 8, 3: 3, 4: 1, 5: 1, 6: 7, 7: 3 (45 locks).
    public static let julia = LockHierarchy(
        uncheckedName: "julia",
        locks: juliaLocks,
        exceptions: [
            .guardedSameLevel(lock: "jl_method_t.writelock", guard: "world_counter_lock"),
            .instanceOrder(lock: "orc::ThreadSafeContext"),
        ],
        implicitAcquisitions: [
            ImplicitAcquisition(option: .safepoint, lock: "safepoint_lock")
        ],
        forbiddenOperations: [
            ForbiddenOperation(
                operation: .io, whileHolding: .listedBefore("jl_uv_mutex"),
                reason: "I/O while holding a lock listed above the iolock (jl_uv_mutex) may deadlock"),
            ForbiddenOperation(
                operation: .safepoint, whileHolding: .levels([1]),
                reason: "level 1 locks must not hit safepoints (use the _NOGC lock variants)"),
            ForbiddenOperation(
                operation: .allocation, whileHolding: .levels([1]),
                reason: "allocation may hit a safepoint, which level 1 locks forbid"),
            ForbiddenOperation(
                operation: .taskSwitch, whileHolding: .kinds(["jl_mutex_t"]),
                reason: "a jl_mutex_t must not be held across task switches"),
        ])

    private static let juliaLocks: [DeclaredLock] = [
        // Level 1: no other lock may be taken while holding one; no allocation, no safepoints.
        DeclaredLock(
            name: "safepoint_lock", level: 1, kind: "uv_mutex_t",
            note: "acquired implicitly by JL_LOCK and JL_UNLOCK; level 1 locks use the _NOGC variants"),
        DeclaredLock(name: "shared_map_lock.mtx", level: 1, kind: "uv_mutex_t"),
        DeclaredLock(name: "finalizers_lock", level: 1, kind: "jl_mutex_t"),
        DeclaredLock(name: "gc_pages_lock", level: 1, kind: "uv_mutex_t"),
        DeclaredLock(name: "gc_perm_lock", level: 1, kind: "uv_mutex_t"),
        DeclaredLock(name: "gc_queue_observer_lock", level: 1, kind: "uv_mutex_t"),
        DeclaredLock(name: "gc_threads_lock", level: 1, kind: "uv_mutex_t"),
        DeclaredLock(
            name: "flisp_lock", level: 1, kind: "uv_mutex_t",
            note: "protects only the jl_ast_context_list_t pool"),
        DeclaredLock(name: "jl_in_stackwalk", level: 1, kind: "uv_mutex_t", note: "Win32 only"),
        DeclaredLock(
            name: "ResourcePool<?>.mutex", level: 1, kind: "std::mutex",
            note: "protects only the associated resource pool"),
        DeclaredLock(name: "RLST_mutex", level: 1, kind: "std::mutex"),
        DeclaredLock(name: "llvm_printing_mutex", level: 1, kind: "std::mutex"),
        DeclaredLock(name: "jl_locked_stream.mutex", level: 1, kind: "std::mutex"),
        DeclaredLock(name: "debuginfo_asyncsafe", level: 1, kind: "uv_rwlock_t"),
        DeclaredLock(name: "profile_show_peek_cond_lock", level: 1, kind: "jl_mutex_t"),
        DeclaredLock(name: "trampoline_lock", level: 1, kind: "uv_mutex_t"),
        DeclaredLock(name: "bt_data_prof_lock", level: 1, kind: "uv_mutex_t"),
        DeclaredLock(name: "jl_ptls_t.sleep_lock", level: 1, kind: "uv_mutex_t"),
        DeclaredLock(name: "tls_lock", level: 1, kind: "uv_mutex_t"),
        DeclaredLock(name: "page_profile_lock", level: 1, kind: "uv_mutex_t"),
        DeclaredLock(name: "symtab_lock", level: 1, kind: "uv_mutex_t"),
        DeclaredLock(name: "engine_lock", level: 1, kind: "std::mutex"),

        // Level 2
        DeclaredLock(name: "global_roots_lock", level: 2),
        DeclaredLock(name: "jl_module_t.lock", level: 2),
        DeclaredLock(name: "newly_inferred_mutex", level: 2),
        DeclaredLock(name: "JLDebuginfoPlugin.PluginMutex", level: 2, kind: "std::mutex"),
        DeclaredLock(name: "precompile_field_replace_lock", level: 2),
        DeclaredLock(name: "live_tasks_lock", level: 2, kind: "uv_mutex_t"),
        DeclaredLock(name: "heapsnapshot_lock", level: 2),
        DeclaredLock(name: "jitlock", level: 2),

        // Level 3
        DeclaredLock(
            name: "jl_method_t.writelock", level: 3,
            note: "several may be held at once only while holding world_counter_lock"),
        DeclaredLock(name: "typecache_lock", level: 3),
        DeclaredLock(name: "libmap_lock", level: 3),

        // Level 4
        DeclaredLock(name: "jl_methcache_t.writelock", level: 4),

        // Level 5
        DeclaredLock(name: "jl_methtable_t.writelock", level: 5),

        // Level 6
        DeclaredLock(name: "JuliaOJIT::EmissionMutex", level: 6, kind: "std::recursive_mutex"),
        DeclaredLock(name: "jl_modules_mutex", level: 6),
        DeclaredLock(
            name: "jl_uv_mutex", level: 6,
            note: "known as iolock from Julia; no I/O while holding any lock listed above it"),
        // The next four stand after the level 7 sentence but before the
        // "Level 7" heading: they continue the level 6 list.
        DeclaredLock(
            name: "ThreadSynchronizer", level: 6,
            note: "individual ThreadSynchronizer locks; never acquire the iolock while holding one"),
        DeclaredLock(name: "Libdl.LazyLibrary.lock", level: 6, kind: "ReentrantLock"),
        DeclaredLock(
            name: "orc::ThreadSafeContext", level: 6,
            note: "borrowed from the JIT's pool; several at once only in the order borrowed"),
        DeclaredLock(name: "cfun_lock", level: 6),

        // Level 7
        DeclaredLock(
            name: "world_counter_lock", level: 7,
            note: "acquired only when not holding any other lock"),
        DeclaredLock(name: "precomp_statement_out_lock", level: 7),
        DeclaredLock(name: "dispatch_statement_out_lock", level: 7),
    ]
}
