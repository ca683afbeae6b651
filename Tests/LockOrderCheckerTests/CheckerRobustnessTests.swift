import LockCore
import LockOrderTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Whether another thread can take `lock` now (and gives it back).
func anotherThreadCanTakeMutex(_ lock: CheckedMutex) -> Bool {
    let taken = Atomic<Bool>(false)
    TestThread.runAndWait {
        if lock.tryLock() {
            taken.store(true, ordering: .sequentiallyConsistent)
            lock.unlock()
        }
    }
    return taken.load(ordering: .sequentiallyConsistent)
}

/// The checker's own promises under stress and at its edges: reports never interleave and are
/// never lost, the held-stack capacity never breaks mutual exclusion, sessions nest, and a lock
/// taken before a session is still released inside it.
@Suite("Checker robustness")
struct CheckerRobustnessTests {
    @Test("eight threads reporting distinct violations at once: every report whole, none lost")
    func concurrentReportsStayWhole() {
        let threads = 8
        let perThread = 6
        var violations: [Violation] = []
        let output = capturingStandardError {
            violations = LockOrder.withChecking(printsReports: true) {
                TestThread.runConcurrently(threads) { thread in
                    // Each pair has classes of its own, kept alive to the end (a destroyed
                    // instance class's id is reused, and a cycle at the same site between
                    // reused classes counts as the same violation): a distinct cycle each time.
                    let pairs = (0..<perThread).map { round in
                        (
                            CheckedMutex("first \(thread)-\(round)", class: .instance),
                            CheckedMutex("second \(thread)-\(round)", class: .instance)
                        )
                    }
                    for (first, second) in pairs {
                        first.withLock { second.withLock {} }
                        second.withLock { first.withLock {} }
                    }
                    withExtendedLifetime(pairs) {}
                }
            }
        }
        #expect(violations.count == threads * perThread)
        #expect(violations.allSatisfy { $0.kind == .orderCycle })
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let headlines = lines.indices.filter { lines[$0].hasPrefix("lockorder: order cycle: ") }
        #expect(headlines.count == threads * perThread)
        // All present: every pair's cycle has exactly one headline (none lost, none twice).
        for thread in 0..<threads {
            for round in 0..<perThread {
                let pair = headlines.filter {
                    lines[$0].contains("first \(thread)-\(round)")
                        && lines[$0].contains("second \(thread)-\(round)")
                }
                #expect(pair.count == 1, "the cycle of pair \(thread)-\(round) has \(pair.count) headlines")
            }
        }
        // A report runs from its headline to its hint line, with nothing of another in between.
        for start in headlines {
            guard let end = lines[start...].firstIndex(where: { $0.hasPrefix("  hint: ") }) else {
                Issue.record("report at line \(start) has no hint line")
                continue
            }
            let body = lines[(start + 1)..<end]
            #expect(body.allSatisfy { $0.hasPrefix("  ") }, "report at line \(start) is interleaved")
            #expect(!body.contains { $0.hasPrefix("lockorder:") })
        }
    }

    @Test("stress: eight threads take shared locks in one valid order, 20,000 rounds each: zero reports")
    func stressInValidOrder() {
        let outer = CheckedMutex("stress outer")
        let middle = CheckedReadWriteLock("stress middle")
        let inner = CheckedSpinLock("stress inner")
        let counter = Atomic<Int>(0)
        let violations = LockOrder.withChecking(printsReports: true) {
            TestThread.runConcurrently(8) { thread in
                let own = CheckedReentrantMutex("stress own \(thread)", class: .instance)
                for round in 0..<20_000 {
                    outer.withLock {
                        if round % 2 == 0 {
                            middle.withReadLock {
                                inner.withLock { _ = counter.wrappingAdd(1, ordering: .relaxed) }
                            }
                        } else {
                            middle.withWriteLock { own.withLock { own.withLock {} } }
                        }
                    }
                    if round % 100 == 0 { inner.withLock {} }
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.map(\.message))")
        #expect(counter.load(ordering: .relaxed) == 8 * 10_000)
    }

    @Test("past the held-stack capacity, a bad unlock of another thread's lock is still refused")
    func capacityKeepsMutualExclusion() {
        let (violations, victimWasFree) = unlockAnotherThreadsLock(named: "victim", whileHolding: 50)
        #expect(!victimWasFree, "the victim is still held by its owner")
        #expect(violations.map(\.kind) == [.unlockNotOwner])
        #expect(violations.first?.message == "unlock not owner: releasing victim, which another thread holds")
    }

    @Test(
        "holding 70 locks (past the stack and the remembered ids), an unlock of another thread's lock is refused"
    )
    func deepHoldKeepsMutualExclusion() {
        let (violations, victimWasFree) = unlockAnotherThreadsLock(named: "deep victim", whileHolding: 70) {
            // Every one of the 70 is released for real, recorded or not (no held_at_exit).
            #expect($0.allSatisfy { anotherThreadCanTakeMutex($0) })
        }
        #expect(!victimWasFree, "the victim stayed held by its owner")
        #expect(violations.map(\.kind) == [.unlockNotOwner], "\(violations.map(\.message))")
        #expect(
            violations.first?.message == "unlock not owner: releasing deep victim, which another thread holds"
        )
    }

    /// One thread holds the victim; a second, holding `depth` instance-classed locks, unlocks the
    /// victim (a misuse that must be refused), releases its own locks and hands them to
    /// `afterReleasing`. Returns the session's violations and whether a third thread could then
    /// take the victim while its owner still held it.
    private func unlockAnotherThreadsLock(
        named name: String, whileHolding depth: Int,
        afterReleasing: @escaping @Sendable ([CheckedMutex]) -> Void = { _ in }
    ) -> (violations: [Violation], victimWasFree: Bool) {
        var victimWasFree = true
        let violations = LockOrder.withChecking {
            let victim = CheckedMutex(name)
            let victimHeld = Atomic<Bool>(false)
            let release = Atomic<Bool>(false)
            let holder = TestThread {
                victim.lock()
                victimHeld.store(true, ordering: .sequentiallyConsistent)
                while !release.load(ordering: .sequentiallyConsistent) { sched_yield() }
                victim.unlock()
            }
            while !victimHeld.load(ordering: .sequentiallyConsistent) { sched_yield() }
            TestThread.runAndWait {
                let many = (0..<depth).map { CheckedMutex("\(name) \($0)", class: .instance) }
                for lock in many { lock.lock() }
                victim.unlock()  // not held by this thread: must be refused
                for lock in many.reversed() { lock.unlock() }
                afterReleasing(many)
            }
            victimWasFree = anotherThreadCanTakeMutex(victim)
            release.store(true, ordering: .sequentiallyConsistent)
            holder.join()
        }
        return (violations, victimWasFree)
    }

    @Test("a session inside a session on the same thread joins it and returns its own reports")
    func nestedSessionsJoin() {
        var inner: [Violation] = []
        let outer = LockOrder.withChecking {
            let loose = CheckedMutex("loose outer")
            loose.unlock()
            inner = LockOrder.withChecking {
                let alsoLoose = CheckedMutex("loose inner")
                alsoLoose.unlock()
            }
        }
        #expect(
            inner.map(\.message) == [
                "unlock not held: releasing loose inner, which this thread does not hold"
            ])
        #expect(outer.count == 2)
    }

    @Test("a mutex taken before a session and released inside it is released, without a report")
    func lockTakenBeforeTheSession() {
        let lock = CheckedMutex("taken before")
        lock.lock()
        let violations = LockOrder.withChecking {
            lock.unlock()
        }
        #expect(violations.isEmpty)
        let canTake = Atomic<Bool>(false)
        TestThread.runAndWait {
            if lock.tryLock() {
                canTake.store(true, ordering: .sequentiallyConsistent)
                lock.unlock()
            }
        }
        let lockWasFree = canTake.load(ordering: .sequentiallyConsistent)
        #expect(lockWasFree, "the release went through")
    }
}
