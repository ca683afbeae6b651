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
        let holding = Atomic<Int>(0)
        startThread {
            first.lock()
            holding.add(1, ordering: .relaxed)
            while holding.load(ordering: .relaxed) < 2 { sched_yield() }
            second.lock()
        }
        startThread {
            second.lock()
            holding.add(1, ordering: .relaxed)
            while holding.load(ordering: .relaxed) < 2 { sched_yield() }
            first.lock()
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

private final class ScenarioThread: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
