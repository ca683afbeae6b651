import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A task executor that runs every job on one thread of its own, so that a test decides which
/// thread a task runs on (`Task(executorPreference:)`, `withTaskExecutorPreference`) and can
/// make a task resume on another thread after an `await`, deterministically. The thread lives
/// as long as the process (tests that use it run in child processes).
public final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = Mutex<[UnownedJob]>([])
    private let wakeUp = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private var thread = pthread_t()

    /// Starts the executor's thread.
    public init() {
        sem_init(wakeUp, 0, 0)
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, threadExecutorMain, context)
        precondition(result == 0, "pthread_create failed: \(result)")
    }

    /// Queues a job for the executor's thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        let unownedJob = UnownedJob(job)
        queue.withLock { $0.append(unownedJob) }
        sem_post(wakeUp)
    }

    /// The thread's loop: runs the jobs one after another, forever.
    fileprivate func run() -> Never {
        while true {
            while sem_wait(wakeUp) != 0 {}
            let job = queue.withLock { $0.removeFirst() }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

private func threadExecutorMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<ThreadExecutor>.fromOpaque(context!).takeRetainedValue().run()
}

/// Runs `operation` as a task and blocks the calling thread until it finishes: for synchronous
/// code (a checking session's body) that drives tasks on `ThreadExecutor`s.
public func runTaskAndWait(
    on executor: ThreadExecutor, _ operation: @escaping @Sendable () async -> Void
) {
    let done = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    sem_init(done, 0, 0)
    let signal = SemaphoreBox(done)
    Task(executorPreference: executor) {
        await operation()
        sem_post(signal.semaphore)
    }
    while sem_wait(done) != 0 {}
    sem_destroy(done)
    done.deallocate()
}

/// A semaphore pointer handed to a task.
private struct SemaphoreBox: @unchecked Sendable {
    let semaphore: UnsafeMutablePointer<sem_t>
    init(_ semaphore: UnsafeMutablePointer<sem_t>) { self.semaphore = semaphore }
}
