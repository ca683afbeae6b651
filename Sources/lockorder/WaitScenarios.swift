import LockCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The watchdog's scenarios. Threads are pthreads started here (a library-style file, not
/// main.swift: their bodies run off the main actor).
enum WaitScenarios {
    /// Two threads take A then B and B then A, each after the other took its first lock: a real
    /// deadlock (checking reports the order cycle first, then the second thread blocks).
    static func abba() {
        let first = CheckedMutex("scenario.a")
        let second = CheckedMutex("scenario.b")
        abba(first: { first.lock() }, second: { second.lock() })
    }

    /// The same ABBA through other lock types, each blocking the way that type blocks: `kinds`
    /// names the pair (`reentrant-spin`: a reentrant mutex and a spin lock; `rwlock-reentrant-spin`:
    /// a reader-writer lock's write side and a reentrant spin lock; `timed`: a mutex and a
    /// reader-writer lock's write side, both taken with a long `tryLock(for:)`; `annotated`: a
    /// user's own lock, annotated with the three calls, and a mutex). Nil for an unknown pair.
    static func abba(kinds: String) -> Bool {
        switch kinds {
        case "reentrant-spin":
            let first = CheckedReentrantMutex("scenario.a")
            let second = CheckedSpinLock("scenario.b")
            abba(first: { first.lock() }, second: { second.lock() })
        case "rwlock-reentrant-spin":
            let first = CheckedReadWriteLock("scenario.a")
            let second = CheckedReentrantSpinLock("scenario.b")
            abba(first: { first.lockWrite() }, second: { second.lock() })
        case "timed":
            let first = CheckedMutex("scenario.a")
            let second = CheckedReadWriteLock("scenario.b")
            abba(
                first: { _ = first.tryLock(for: .seconds(3600)) },
                second: { _ = second.tryLockWrite(for: .seconds(3600)) })
        case "annotated":
            let first = ScenarioAnnotatedLock("scenario.a")
            let second = CheckedMutex("scenario.b")
            abba(first: { first.lock() }, second: { second.lock() })
        default:
            return false
        }
        return true
    }

    /// Two threads: one takes `first` then `second`, the other `second` then `first`, each after
    /// the other took its first lock.
    static func abba(first: @escaping @Sendable () -> Void, second: @escaping @Sendable () -> Void) {
        let holding = Atomic<Int>(0)
        startThread {
            first()
            holding.add(1, ordering: .relaxed)
            while holding.load(ordering: .relaxed) < 2 { sched_yield() }
            second()
        }
        startThread {
            second()
            holding.add(1, ordering: .relaxed)
            while holding.load(ordering: .relaxed) < 2 { sched_yield() }
            first()
        }
    }

    /// One thread holds a lock for longer than the process lives; another waits for it.
    static func lockWait() {
        let table = CheckedMutex("scenario.table")
        let held = Atomic<Bool>(false)
        startThread {
            table.lock()
            held.store(true, ordering: .relaxed)
            sleep(3600)
        }
        while !held.load(ordering: .relaxed) { sched_yield() }
        startThread {
            table.lock()
        }
    }

    /// A thread waits on a condition nobody signals.
    static func conditionWait() {
        let state = CheckedMutex("scenario.state")
        let ready = CheckedCondition("scenario.ready")
        startThread {
            state.lock()
            while true { ready.wait(on: state) }
        }
    }

    /// Four threads contend for one lock, then the process ends normally.
    static func contended() {
        let counter = LockedValue(0, name: "scenario.counter")
        let threads = (0..<4).map { _ in
            startThread(detached: false) {
                for _ in 0..<20_000 { counter.withLock { $0 += 1 } }
            }
        }
        for thread in threads { pthread_join(thread, nil) }
        print("== counted \(counter.withLock { $0 })")
    }

    static func sleep(_ seconds: Double) {
        var pause = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&pause, &remaining) != 0 && errno == EINTR { pause = remaining }
    }

    @discardableResult
    static func startThread(detached: Bool = true, _ body: @escaping @Sendable () -> Void) -> pthread_t {
        let context = Unmanaged.passRetained(ScenarioThread(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<ScenarioThread>.fromOpaque(context!).takeRetainedValue().body()
                return nil
            }, context)
        precondition(result == 0, "pthread_create failed: \(result)")
        if detached { pthread_detach(thread) }
        return thread
    }
}

/// A user's own lock on a raw pthread mutex, taking part through the checker's calls (the
/// README's pattern), with its contended wait published for the watchdog.
private final class ScenarioAnnotatedLock: @unchecked Sendable {
    let identity: LockIdentity
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init(_ name: String, fileID: StaticString = #fileID, line: UInt = #line) {
        identity = LockOrder.register(name: name, kind: .mutex, site: SourceSite(fileID: fileID, line: line))
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        let site = SourceSite(fileID: fileID, line: line)
        LockOrder.willAcquire(identity, site: site)
        if pthread_mutex_trylock(mutex) != 0 {
            LockOrder.blockedAcquisition(of: identity, site: site) { _ = pthread_mutex_lock(mutex) }
        }
        LockOrder.didAcquire(identity, site: site)
    }
}

private final class ScenarioThread: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
