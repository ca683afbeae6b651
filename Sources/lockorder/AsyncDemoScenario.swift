import LockCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The demo's async scenario (`lockorder demo --async`): a task takes a lock, reaches an
/// `await`, and resumes on another thread, where it releases the lock. The task runs on two
/// one-thread executors so that the move to another thread happens every time, not by chance.
enum AsyncDemoScenario {
    static let scenario = DemoScenario(
        title: "async: a task holds a lock across an await and releases it on another thread"
    ) {
        let first = DemoThreadExecutor()
        let second = DemoThreadExecutor()
        let cache = CheckedMutex("cache")
        runTaskAndWait(on: first) {
            cache.lockFromAsync()  // the escape from the noasync warning: on purpose, for the demo
            await withTaskExecutorPreference(second) {
                cache.unlockFromAsync()  // held_across_suspension, and released
            }
        }
        // What is safe: withLock, whose body cannot suspend (silent).
        runTaskAndWait(on: second) {
            cache.withLock {}
            await Task.yield()
            cache.withLock {}
        }
    }

    /// Runs `operation` as a task on `executor` and waits for it.
    static func runTaskAndWait(
        on executor: DemoThreadExecutor, _ operation: @escaping @Sendable () async -> Void
    ) {
        let done = DemoSemaphore()
        Task(executorPreference: executor) {
            await operation()
            done.signal()
        }
        done.wait()
    }
}

/// A task executor that runs its jobs on one thread of its own, for the whole process.
final class DemoThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let jobs = Mutex<[UnownedJob]>([])
    private let ready = DemoSemaphore()

    init() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        if pthread_create(&thread, nil, demoExecutorMain, context) != 0 {
            fatalError("lockorder demo: pthread_create failed")
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unownedJob = UnownedJob(job)
        jobs.withLock { $0.append(unownedJob) }
        ready.signal()
    }

    fileprivate func runForever() -> Never {
        while true {
            ready.wait()
            let job = jobs.withLock { $0.removeFirst() }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

private func demoExecutorMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<DemoThreadExecutor>.fromOpaque(context!).takeRetainedValue().runForever()
}

/// A counting semaphore on a POSIX one that never moves.
final class DemoSemaphore: @unchecked Sendable {
    private let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init() { sem_init(semaphore, 0, 0) }

    func signal() { sem_post(semaphore) }

    func wait() { while sem_wait(semaphore) != 0 {} }
}
