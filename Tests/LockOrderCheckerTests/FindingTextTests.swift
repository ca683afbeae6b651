import Testing

@testable import LockOrderChecker

/// The words of every finding, exactly: the one place where report sentences are asserted
/// (rule tests assert decisions, through `LockOrder.withCheckingFindings`). Findings are built
/// by hand here, so a change of wording fails these tests and only these.
@Suite("The words of findings")
struct FindingTextTests {
    static let levelRule3 =
        "while a level 3 lock is held, only locks of a strictly lower level may be acquired"
    static let leafWords =
        "level 1 locks are leaves: no other declared lock may be acquired while one is held"
    static let rootWords =
        "level 7 locks are roots: they may be acquired only when no other declared lock is held"

    static func lock(
        _ name: String, level: Int? = nil, kind: LockKind = .mutex, orderKey: UInt64? = nil
    ) -> LockSnapshot {
        LockSnapshot(
            name: name, className: name, level: level, kind: kind, declaredKind: nil, mode: .exclusive,
            orderKey: orderKey, site: "Here.swift:1", tryLock: false)
    }

    static func words(
        _ reason: Finding.Reason, lock: LockSnapshot? = nil, conflicting: LockSnapshot? = nil,
        held: [LockSnapshot] = []
    ) -> FindingText {
        FindingText(
            Finding(
                reason: reason, lock: lock, conflicting: conflicting, held: held, classIDs: [],
                site: "Here.swift:2"))
    }

    // MARK: Instances of one class (R32)

    @Test("an instance cycle: the instances named (the class's site is the legend's), the rule, the hint")
    func instanceCycle() {
        let text = Self.words(
            .instanceCycle(instancePath: ["account bob", "account alice", "account bob"], edges: []),
            lock: Self.lock("account alice"), conflicting: Self.lock("account bob"))
        #expect(
            text.message
                == "order cycle: acquiring account alice while holding account bob closes the cycle account bob -> "
                + "account alice -> account bob among locks of one class"
        )
        #expect(
            text.rule
                == "locks of one class must be acquired in one order among themselves too; account alice was seen "
                + "acquired before account bob (directly or through other locks of its class), and here it is acquired after"
        )
        #expect(
            text.hint
                == "acquire account bob and account alice in one order everywhere, by a key the program has (lowest "
                + "first; declare it with the locks' orderKey and an instanceOrder exception in a hierarchy) or by lock id"
        )
    }

    @Test("the instance order full: lockdep's notice, with both locks, their sites and the two fixes")
    func unorderedNesting() {
        #expect(
            FindingText.unorderedNesting(
                className: "fork (Table.swift:3)", held: "fork 1", heldAt: "Table.swift:9",
                acquired: "fork 2",
                acquiredAt: "Table.swift:10")
                == "lockorder: two locks of one class nested, not ordered by instance: acquiring fork 2 (at Table.swift:10) "
                + "while holding fork 1 (acquired at Table.swift:9), class fork (Table.swift:3); give them their own classes "
                + "(class: .instance), or declare the class with an instanceOrder exception and order keys\n")
    }

    // MARK: The level rule (R9)

    @Test("a level inversion: headline, rule, hint, and no exception line unless the lock has exceptions")
    func levelInversion() {
        let text = Self.words(
            .lowerLevelHeld(heldLevel: 3, level: 5, rootLevel: 7, lockHasExceptions: false),
            lock: Self.lock("jl_methtable_t.writelock", level: 5),
            conflicting: Self.lock("typecache_lock", level: 3))
        #expect(
            text.message
                == "level inversion: acquiring jl_methtable_t.writelock (level 5) while holding typecache_lock (level 3)"
        )
        #expect(text.rule == Self.levelRule3)
        #expect(text.exception == nil)
        #expect(text.missingGuard == nil)
        #expect(
            text.hint
                == "acquire jl_methtable_t.writelock before typecache_lock (higher levels first), or release typecache_lock first"
        )
        let withExceptions = Self.words(
            .lowerLevelHeld(heldLevel: 3, level: 5, rootLevel: 7, lockHasExceptions: true),
            lock: Self.lock("a", level: 5), conflicting: Self.lock("b", level: 3))
        #expect(withExceptions.exception == nil, "a plain level inversion has no exception line")
    }

    @Test("the level rule says what leaves (level 1) and roots (the highest level) mean")
    func leavesAndRoots() {
        #expect(
            FindingText.levelRule(
                heldLevel: 1, acquiring: 2, rootLevel: 7, juliaHeld: true, juliaAcquired: true)
                == "while a level 1 lock is held, only locks of a strictly lower level may be acquired; \(Self.leafWords)"
        )
        #expect(
            FindingText.levelRule(
                heldLevel: 3, acquiring: 7, rootLevel: 7, juliaHeld: true, juliaAcquired: true)
                == "\(Self.levelRule3); \(Self.rootWords)")
        #expect(
            FindingText.levelRule(
                heldLevel: 2, acquiring: 9, rootLevel: 9, juliaHeld: true, juliaAcquired: true)
                == "while a level 2 lock is held, only locks of a strictly lower level may be acquired; level 9 locks are roots: they may be acquired only when no other declared lock is held"
        )
    }

    @Test("a user's hierarchy: no leaves, no roots, no JL_LOCK_NOGC; Julia's own locks keep them")
    func userHierarchyHasNoJuliaWords() {
        let inversion = Self.words(
            .lowerLevelHeld(heldLevel: 1, level: 4, rootLevel: 4, lockHasExceptions: false),
            lock: Self.lock("config", level: 4), conflicting: Self.lock("stats", level: 1))
        #expect(
            inversion.rule
                == "while a level 1 lock is held, only locks of a strictly lower level may be acquired")
        #expect(inversion.exception == nil)
        let julia = Self.words(
            .lowerLevelHeld(heldLevel: 1, level: 7, rootLevel: 7, lockHasExceptions: false),
            lock: Self.lock("world_counter_lock", level: 7), conflicting: Self.lock("gc_perm_lock", level: 1))
        #expect(
            julia.rule
                == "while a level 1 lock is held, only locks of a strictly lower level may be acquired; "
                + "\(Self.leafWords); \(Self.rootWords)")
        let implicit = Self.words(
            .implicitAcquisition(
                option: "flush", implicitLock: "journal", implicitLevel: 1, heldLevel: 1, rootLevel: 4,
                releasing: false),
            lock: Self.lock("queue"), conflicting: Self.lock("stats", level: 1))
        #expect(implicit.hint == "use a variant of queue without the flush option, or release stats first")
        #expect(!implicit.rule.contains("leaves"))
    }

    @Test("two locks of one class at one level: order them by key or by id")
    func sameClassSameLevel() {
        let text = Self.words(
            .sameLevelHeld(level: 2, rootLevel: 4, exception: .none),
            lock: Self.lock("shard", level: 2), conflicting: Self.lock("shard", level: 2))
        #expect(
            text.hint
                == "to hold several shard locks at once, take them in increasing order key (an instanceOrder "
                + "exception for shard, and LockOrder.setOrderKey on each lock) or by lock id; or release shard first"
        )
        #expect(text.exception == nil)
    }

    // MARK: Same level and the exceptions (R15 to R17)

    @Test("a same-level acquisition that no exception names")
    func sameLevel() {
        let text = Self.words(
            .sameLevelHeld(level: 3, rootLevel: 7, exception: .none),
            lock: Self.lock("libmap_lock", level: 3), conflicting: Self.lock("typecache_lock", level: 3))
        #expect(
            text.message
                == "same level: acquiring libmap_lock (level 3) while holding typecache_lock (level 3)")
        #expect(text.rule == Self.levelRule3)
        #expect(text.exception == nil)
        #expect(
            text.hint
                == "do not hold two level 3 locks at once: release typecache_lock before acquiring libmap_lock, or declare an exception in the hierarchy"
        )
    }

    @Test(
        "a guarded same-level exception whose guard is not held: the exception, the missing guard, the hint")
    func guardNotHeld() {
        let method = Self.lock("jl_method_t.writelock", level: 3)
        let text = Self.words(
            .sameLevelHeld(
                level: 3, rootLevel: 7,
                exception: .guardNotHeld(
                    exception: "guarded same level (world_counter_lock)", lockName: "jl_method_t.writelock",
                    guardName: "world_counter_lock")),
            lock: method, conflicting: method)
        #expect(
            text.message
                == "same level: acquiring jl_method_t.writelock (level 3) while holding jl_method_t.writelock (level 3)"
        )
        #expect(
            text.exception
                == "guarded same level (world_counter_lock): several jl_method_t.writelock locks may be held at once only while world_counter_lock is held; world_counter_lock is not held"
        )
        #expect(text.missingGuard == "world_counter_lock")
        #expect(text.hint == "acquire world_counter_lock before taking several jl_method_t.writelock locks")
    }

    @Test("an exception for several locks of one class says it does not cover another class")
    func exceptionCoversOneClassOnly() {
        let text = Self.words(
            .sameLevelHeld(
                level: 3, rootLevel: 7,
                exception: .coversOneClassOnly(
                    exception: "guarded same level (world_counter_lock)", lockName: "jl_method_t.writelock")),
            lock: Self.lock("jl_method_t.writelock", level: 3),
            conflicting: Self.lock("typecache_lock", level: 3))
        #expect(
            text.exception
                == "guarded same level (world_counter_lock) covers several jl_method_t.writelock locks only, not jl_method_t.writelock with typecache_lock"
        )
        #expect(text.missingGuard == nil)
    }

    @Test("an instance-order exception: the keys in the headline, why the order breaks, the hint")
    func instanceOrder() {
        let context = "orc::ThreadSafeContext"
        func words(orderKey: UInt64?, heldKey: UInt64?) -> FindingText {
            Self.words(
                .sameLevelHeld(
                    level: 6, rootLevel: 7,
                    exception: .orderKeysNotIncreasing(
                        exception: "instance order", lockName: context, orderKey: orderKey, heldKey: heldKey)),
                lock: Self.lock(context, level: 6, orderKey: orderKey),
                conflicting: Self.lock(context, level: 6, orderKey: heldKey))
        }
        let decreasing = words(orderKey: 1, heldKey: 2)
        #expect(
            decreasing.message
                == "instance order: acquiring orc::ThreadSafeContext (level 6, order key 1) while holding orc::ThreadSafeContext (level 6, order key 2)"
        )
        #expect(
            decreasing.exception
                == "instance order: several orc::ThreadSafeContext locks may be held at once only when acquired in increasing order key; order key 1 is acquired after order key 2"
        )
        #expect(
            decreasing.hint
                == "acquire orc::ThreadSafeContext locks in the order their order keys give (the order they were borrowed from the pool)"
        )
        #expect(
            words(orderKey: nil, heldKey: 2).exception?.hasSuffix(
                "; the lock being acquired has no order key") == true)
        #expect(
            words(orderKey: 1, heldKey: nil).exception?.hasSuffix("; the held lock has no order key") == true)
        #expect(words(orderKey: nil, heldKey: 2).message.contains("(level 6, order key none) while holding"))
        #expect(
            words(orderKey: nil, heldKey: 2).hint
                == "give every orc::ThreadSafeContext lock an order key (LockOrder.setOrderKey, or orderKey: at the "
                + "acquisition) and acquire them in increasing key order")
        // A user's lock: no pool.
        let user = Self.words(
            .sameLevelHeld(
                level: 2, rootLevel: 4,
                exception: .orderKeysNotIncreasing(
                    exception: "instance order", lockName: "shard", orderKey: 1, heldKey: 2)),
            lock: Self.lock("shard", level: 2, orderKey: 1),
            conflicting: Self.lock("shard", level: 2, orderKey: 2))
        #expect(
            user.hint
                == "acquire shard locks in increasing order key: sort them by key (or by lock id) before taking them"
        )
    }

    // MARK: Implicit acquisitions (R12) and forbidden operations (R13)

    @Test("an implicit acquisition, at acquisition and at release")
    func implicitAcquisition() {
        let leafRule =
            "while a level 1 lock is held, only locks of a strictly lower level may be acquired; \(Self.leafWords)"
        for releasing in [false, true] {
            let verb = releasing ? "releasing" : "acquiring"
            let text = Self.words(
                .implicitAcquisition(
                    option: "safepoint", implicitLock: "safepoint_lock", implicitLevel: 1, heldLevel: 1,
                    rootLevel: 7,
                    releasing: releasing),
                lock: Self.lock("task queue"), conflicting: Self.lock("gc_perm_lock", level: 1))
            #expect(
                text.message
                    == "same level: \(verb) task queue implicitly acquires safepoint_lock (level 1, option safepoint) while holding gc_perm_lock (level 1)"
            )
            #expect(
                text.rule
                    == "\(leafRule); \(verb) a lock with the safepoint option also acquires safepoint_lock")
            #expect(
                text.hint
                    == "use a variant of task queue without the safepoint option (like JL_LOCK_NOGC), or release gc_perm_lock first"
            )
        }
    }

    @Test(
        "a level 1 lock's own implicit acquisition, at acquisition and at release, names the _NOGC variants")
    func implicitAcquisitionUnderItself() {
        let leafRule =
            "while a level 1 lock is held, only locks of a strictly lower level may be acquired; \(Self.leafWords)"
        for releasing in [false, true] {
            let verb = releasing ? "releasing" : "acquiring"
            let finalizers = Self.lock("finalizers_lock", level: 1)
            let text = Self.words(
                .implicitAcquisitionUnderItself(
                    option: "safepoint", implicitLock: "safepoint_lock", implicitLevel: 1, level: 1,
                    rootLevel: 7,
                    releasing: releasing),
                lock: finalizers, conflicting: finalizers)
            #expect(
                text.message
                    == "same level: \(verb) finalizers_lock (level 1) with the safepoint option implicitly acquires safepoint_lock (level 1) under finalizers_lock itself"
            )
            #expect(
                text.rule
                    == "\(leafRule); acquiring or releasing a lock with the safepoint option also acquires safepoint_lock, so a lock of level 1 or lower must never be taken or released with it"
            )
            #expect(
                text.hint
                    == "take and release finalizers_lock with the _NOGC variants (JL_LOCK_NOGC and JL_UNLOCK_NOGC, not JL_LOCK and JL_UNLOCK): make the lock without the safepoint option"
            )
        }
        let other = Self.words(
            .implicitAcquisitionUnderItself(
                option: "gc", implicitLock: "gc_lock", implicitLevel: 2, level: 1, rootLevel: 3,
                releasing: false),
            lock: Self.lock("leaf", level: 1), conflicting: Self.lock("leaf", level: 1))
        #expect(other.message.hasPrefix("level inversion: acquiring leaf (level 1) with the gc option"))
        #expect(
            other.hint
                == "make leaf without the gc option, so that taking and releasing it acquire nothing implicitly"
        )
    }

    @Test("the line after the exit summary counts the cycles gate locks serialised and names three")
    func serialisedCyclesLine() {
        typealias Cycle = LearnedOrderSnapshot.SerialisedCycle
        #expect(Reporter.serialisedCyclesLine([]) == nil)
        let one = Cycle(cycle: ["B", "A", "B"], gate: "G", count: 2)
        #expect(
            Reporter.serialisedCyclesLine([one])
                == "lockorder: 1 cycle not reported, each edge always taken under one gate lock held exclusively: "
                + "B -> A -> B serialised by G\n")
        let five = (0..<5).map { Cycle(cycle: ["X\($0)", "Y", "X\($0)"], gate: "G\($0)", count: 1) }
        let line = Reporter.serialisedCyclesLine(five) ?? ""
        #expect(line.hasPrefix("lockorder: 5 cycles not reported, "))
        #expect(line.hasSuffix("X2 -> Y -> X2 serialised by G2; and 2 more\n"), "\(line)")
    }

    @Test("a forbidden operation names the operation, the selector and the hierarchy's reason")
    func forbiddenOperation() {
        let rule = ForbiddenOperation(
            operation: .io, whileHolding: .listedBefore("jl_uv_mutex"),
            reason: "I/O while holding a lock listed above the iolock (jl_uv_mutex) may deadlock")
        let text = Self.words(.forbiddenOperation(rule), conflicting: Self.lock("typecache_lock", level: 3))
        #expect(text.message == "forbidden operation: io while holding typecache_lock (level 3)")
        #expect(text.operation == "io")
        #expect(
            text.rule
                == "io is forbidden while holding any lock listed before jl_uv_mutex: I/O while holding a lock listed above the iolock (jl_uv_mutex) may deadlock"
        )
        #expect(
            text.hint == "release typecache_lock before the io, or move the io to where no such lock is held")
    }

    // MARK: One lock misused (R4 to R7)

    @Test("a self-deadlock, for a mutex and for each pair of read-write modes")
    func reacquired() {
        let mutex = Self.words(
            .reacquired(kind: .mutex, heldShared: false, mode: .exclusive), lock: Self.lock("cache"))
        #expect(
            mutex.message
                == "self deadlock: acquiring cache, which this thread already holds (Mutex is not reentrant)")
        #expect(mutex.hint == "release cache before acquiring it again, or make it a reentrant lock")
        let upgrade = Self.words(
            .reacquired(kind: .readerPreferringRWLock, heldShared: true, mode: .exclusive),
            lock: Self.lock("table"))
        #expect(
            upgrade.message
                == "self deadlock: acquiring table exclusive while this thread holds it shared (an upgrade waits for itself)"
        )
        let readUnderWrite = Self.words(
            .reacquired(kind: .writerPreferringRWLock, heldShared: false, mode: .shared),
            lock: Self.lock("table"))
        #expect(
            readUnderWrite.hint == "the write lock already allows reading: do not take the read lock again")
        let reread = Self.words(
            .reacquired(kind: .writerPreferringRWLock, heldShared: true, mode: .shared),
            lock: Self.lock("table"))
        #expect(reread.hint == "do not re-take the read lock, or make table reader-preferring")
    }

    @Test("a release without holding, destroyed while held, held at exit")
    func oneLockMisused() {
        #expect(
            Self.words(.releasedWithoutHolding(heldByAnotherThread: true), lock: Self.lock("cache")).message
                == "unlock not owner: releasing cache, which another thread holds")
        #expect(
            Self.words(.releasedWithoutHolding(heldByAnotherThread: false), lock: Self.lock("cache")).message
                == "unlock not held: releasing cache, which this thread does not hold")
        #expect(
            Self.words(.destroyedWhileHeld(byThisThread: false), lock: Self.lock("cache")).message
                == "destroyed while held: cache was destroyed while another thread holds it")
        let atExit = Self.words(.heldAtExit(untracked: 2), held: [Self.lock("a"), Self.lock("b")])
        #expect(
            atExit.message
                == "held at exit: the thread ended holding 4 locks: a, b and 2 more past the held stack's capacity"
        )
        #expect(
            atExit.hint
                == "release a, b before the thread returns (withLock releases on every exit, including a throw)"
        )
    }

    // MARK: The learned order (R10)

    @Test("an order cycle names the path and the classes to order")
    func orderCycle() {
        let text = Self.words(
            .orderCycle(classPath: ["A", "B", "A"], edges: []), lock: Self.lock("B"),
            conflicting: Self.lock("A"))
        #expect(
            text.message
                == "order cycle: acquiring B while holding A closes the cycle A -> B -> A"
        )
        #expect(
            text.rule
                == "locks must be acquired in one global order; B was acquired before A elsewhere, and after it here"
        )
        #expect(
            text.hint
                == "pick one order for A, B and acquire them in it everywhere, or declare their levels in a hierarchy"
        )
    }

    @Test("an order cycle among instances of one lock: order them by key or by id")
    func orderCycleAmongInstances() {
        let edges = [
            CycleEdge(
                from: "row #5", to: "row #4", modes: nil, heldAt: "A.swift:2", acquiredAt: "A.swift:3",
                thread: CycleEdge.thisAcquisition, frames: [], fromLock: "row", toLock: "row"),
            CycleEdge(
                from: "row #4", to: "row #5", modes: nil, heldAt: "A.swift:2", acquiredAt: "A.swift:3",
                thread: "thread 2 (tid 9, unnamed)", frames: [], fromLock: "row", toLock: "row"),
        ]
        let text = Self.words(
            .orderCycle(classPath: ["row #5", "row #4", "row #5"], edges: edges), lock: Self.lock("row"),
            conflicting: Self.lock("row"))
        #expect(
            text.message
                == "order cycle: acquiring row while holding row closes the cycle row #5 -> row #4 -> row #5")
        #expect(
            text.hint
                == "acquire row locks in one order everywhere, by a key the program has (lowest first; declare it "
                + "with the locks' orderKey and an instanceOrder exception in a hierarchy) or by lock id"
        )
    }
}
