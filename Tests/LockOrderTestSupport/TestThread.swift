#if canImport(Glibc)
    import Glibc
#endif

/// A pthread running a closure, for tests that need real threads (held stacks and thread-exit
/// checks are per OS thread, which Swift concurrency's pool does not promise).
public final class TestThread: @unchecked Sendable {
    private var thread = pthread_t()
    private var joined = false

    /// Starts `body` on a new thread.
    public init(_ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(ThreadContext(body: body)).toOpaque()
        let result = pthread_create(&thread, nil, testThreadMain, context)
        precondition(result == 0, "pthread_create failed: \(result)")
    }

    /// Waits for the thread to end (its exit-time destructors included).
    public func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }

    /// Runs `count` threads, each given its index, and waits for all of them.
    public static func runConcurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let threads = (0..<count).map { index in TestThread { body(index) } }
        for thread in threads { thread.join() }
    }

    /// Runs `body` on a new thread and waits for it.
    public static func runAndWait(_ body: @escaping @Sendable () -> Void) {
        TestThread(body).join()
    }
}

private final class ThreadContext: Sendable {
    let body: @Sendable () -> Void
    init(body: @escaping @Sendable () -> Void) {
        self.body = body
    }
}

private func testThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let threadContext = Unmanaged<ThreadContext>.fromOpaque(context!).takeRetainedValue()
    threadContext.body()
    return nil
}
