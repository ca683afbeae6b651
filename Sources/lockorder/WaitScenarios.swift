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

    /// Holds one lock 300 ms, twice at the same sites, and another one briefly a hundred times
    /// (LOCKORDER_HOLD_WARN: the long one is reported once).
    static func hold() {
        let slow = CheckedMutex("scenario.slow")
        let quick = CheckedMutex("scenario.quick")
        for _ in 0..<2 {
            slow.lock()
            sleep(0.3)
            slow.unlock()
        }
        for _ in 0..<100 {
            quick.lock()
            quick.unlock()
        }
        print("== held")
    }

    /// A scripted workload for the contention statistics (LOCKORDER_STATS): `scenario.quiet`
    /// taken 1001 times without contention; `scenario.contended` taken twice, once by the main
    /// thread and once by a thread that is seen blocked on it (asleep in the kernel) before the
    /// main thread lets it go: exactly one contended acquisition.
    static func stats() {
        let quiet = CheckedMutex("scenario.quiet")
        for _ in 0..<1000 {
            quiet.lock()
            quiet.unlock()
        }
        let contended = CheckedMutex("scenario.contended")
        let waiter = Atomic<Int>(0)
        contended.lock()
        let thread = startThread(detached: false) {
            quiet.lock()
            quiet.unlock()
            waiter.store(ownThreadID(), ordering: .releasing)
            contended.lock()
            contended.unlock()
        }
        while waiter.load(ordering: .acquiring) == 0 { sched_yield() }
        while !isAsleep(thread: waiter.load(ordering: .relaxed)) { sleep(0.01) }
        sleep(0.05)
        contended.unlock()
        pthread_join(thread, nil)
        print("== stats")
    }

    /// The calling thread's kernel thread id, from `/proc/thread-self` (`PID/task/TID`).
    private static func ownThreadID() -> Int {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                readlink("/proc/thread-self", $0.baseAddress!, $0.count - 1)
            }
        }
        let target = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
        return Int(target.split(separator: "/").last ?? "") ?? -1
    }

    /// Whether the thread `tid` of this process is asleep (state S in its stat file).
    private static func isAsleep(thread tid: Int) -> Bool {
        let descriptor = open("/proc/self/task/\(tid)/stat", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return false }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        // "TID (name) S ...": the state follows the name's closing parenthesis.
        guard let nameEnd = text.lastIndex(of: ")") else { return false }
        return text[text.index(after: nameEnd)...].hasPrefix(" S")
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
