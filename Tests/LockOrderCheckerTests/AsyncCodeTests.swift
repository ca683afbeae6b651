import LockCore
import LockOrderTestSupport
import Synchronization
import Testing

@testable import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// Locks in async code (docs/locks.md, "Async code"): a lock held across an `await`, a lock a
/// suspended task holds on the thread that wants it, a task that blocks its thread waiting.
/// Each case runs in a child process (an exit test) whose tasks run on `ThreadExecutor`s, so
/// the test decides which thread each part of a task runs on. The child prints the reports and
/// a closing line of its own; the parent reads them.
@Suite("Async code: locks and tasks", .serialized)
struct AsyncCodeTests {
    /// The child's stderr, its reports' wrapped lines joined.
    static func standardError(_ result: ExitTest.Result?) -> String {
        unwrappedReport(String(decoding: result?.standardErrorContent ?? [], as: UTF8.self))
    }

    static func headlines(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("lockorder: ") }
    }

    @Test(
        "a lock held across an await and released on another thread: reported, released, the program goes on")
    func heldAcrossSuspension() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let first = ThreadExecutor()
            let second = ThreadExecutor()
            let cache = CheckedMutex("cache")
            let violations = LockOrder.withChecking(learnsOrder: false, printsReports: true) {
                runTaskAndWait(on: first) {
                    cache.lockFromAsync()
                    await withTaskExecutorPreference(second) { cache.unlockFromAsync() }
                }
                // Released for real: another thread can take it at once.
                TestThread {
                    if !cache.tryLock() { childSays("FAIL: cache is still held") }
                    cache.unlock()
                }.join()
                // And forgotten by the first thread: a task there takes it again, silently.
                runTaskAndWait(on: first) { cache.withLock {} }
            }
            childSays("kinds: " + violations.map { "\($0.kind)" }.joined(separator: ", "))
        }
        let stderr = Self.standardError(result)
        #expect(stderr.contains("kinds: held across suspension\n"))
        #expect(!stderr.contains("FAIL"))
        let headline = Self.headlines(stderr).first ?? ""
        #expect(headline.hasPrefix("lockorder: held across suspension: task 0x"))
        #expect(
            headline.contains(
                " releases cache on this thread; it acquired it at LockOrderCheckerTests/AsyncCodeTests.swift:"
            ))
        #expect(headline.hasSuffix("and suspended while holding it"))
        #expect(
            stderr.contains(
                "  lock: cache (no level, Mutex) at LockOrderCheckerTests/AsyncCodeTests.swift:"))
        #expect(
            stderr.contains(
                "    cache: the class of locks created at LockOrderCheckerTests/AsyncCodeTests.swift:"))
        #expect(stderr.contains("  hint: release cache before the await: take it with withLock"))
        #expect(stderr.contains("(the lock was released)"))
    }

    @Test("a write lock held across an await cannot be released on another thread: said so, kept held")
    func writeLockHeldAcrossSuspension() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let first = ThreadExecutor()
            let second = ThreadExecutor()
            let table = CheckedReadWriteLock("table")
            let violations = LockOrder.withChecking(learnsOrder: false, printsReports: true) {
                runTaskAndWait(on: first) {
                    table.lockWriteFromAsync()
                    await withTaskExecutorPreference(second) { table.unlockWriteFromAsync() }
                }
            }
            childSays("kinds: " + violations.map { "\($0.kind)" }.joined(separator: ", "))
        }
        let stderr = Self.standardError(result)
        #expect(stderr.contains("kinds: held across suspension\n"))
        #expect(
            stderr.contains(
                "the lock was NOT released: glibc releases a write lock only on the thread that took it, so it stays held"
            ))
    }

    @Test("two tasks on one thread, the first holding the lock across an await: reported with its own hint")
    func heldBySuspendedTask() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let first = ThreadExecutor()
            let second = ThreadExecutor()
            let session = CheckedMutex("session")
            let gate = Gate()
            let holding = Gate()
            let violations = LockOrder.withChecking(learnsOrder: false, printsReports: true) {
                let holder = TestThread {
                    runTaskAndWait(on: first) {
                        session.lockFromAsync()
                        holding.open()
                        // Leaves the first thread (a suspension point), waits, releases there.
                        await withTaskExecutorPreference(second) {
                            await gate.wait()
                            session.unlockFromAsync()
                        }
                    }
                }
                holding.waitBlocking()
                let waiter = TestThread { runTaskAndWait(on: first) { session.withLock {} } }
                waitForReport(.heldBySuspendedTask)
                gate.open()
                holder.join()
                waiter.join()
            }
            childSays("kinds: " + violations.map { "\($0.kind)" }.sorted().joined(separator: ", "))
        }
        let stderr = Self.standardError(result)
        #expect(
            stderr.contains("kinds: blocking in task, held across suspension, held by suspended task\n"))
        #expect(!stderr.contains("self deadlock"))
        #expect(!stderr.contains("make it a reentrant lock"))
        let headline = Self.headlines(stderr).first { $0.contains("held by suspended task") } ?? ""
        #expect(headline.hasPrefix("lockorder: held by suspended task: task 0x"))
        #expect(headline.contains(" acquires session, which task 0x"))
        #expect(headline.hasSuffix("and holds across an await"))
        #expect(
            stderr.contains(
                "  hint: release session before the await in the task that holds it (withLock around synchronous code), or keep the state in an actor; a reentrant lock would let both tasks in"
            ))
    }

    @Test(
        "a reentrant lock held across an await: the second task gets in (reported), the hold moves with the task"
    )
    func reentrantHeldBySuspendedTask() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let first = ThreadExecutor()
            let second = ThreadExecutor()
            let registry = CheckedReentrantMutex("registry")
            let gate = Gate()
            let violations = LockOrder.withChecking(learnsOrder: false, printsReports: true) {
                let holder = TestThread {
                    runTaskAndWait(on: first) {
                        registry.lockFromAsync()
                        await withTaskExecutorPreference(second) {
                            await gate.wait()
                            registry.unlockFromAsync()
                        }
                    }
                }
                // The second task runs on the first thread once the holder has left it.
                runTaskAndWait(on: first) {
                    while registry.holdCount == 0 { await Task.yield() }
                    registry.withLock {}
                }
                gate.open()
                holder.join()
                TestThread {
                    if !registry.tryLock() { childSays("FAIL: registry is still held") }
                    registry.unlock()
                }.join()
            }
            childSays("kinds: " + violations.map { "\($0.kind)" }.sorted().joined(separator: ", "))
        }
        let stderr = Self.standardError(result)
        #expect(stderr.contains("kinds: held across suspension, held by suspended task\n"))
        #expect(!stderr.contains("FAIL"))
        #expect(
            stderr.contains(
                "  rule: a lock held across an await belongs to a suspended task, not to the thread, which meanwhile runs other tasks: ReentrantMutex counts holds by thread, so it lets this task in while the other is inside: no mutual exclusion"
            ))
    }

    @Test("a contended blocking acquisition in a task: reported once per site, repeats counted")
    func blockingInTask() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let first = ThreadExecutor()
            let index = CheckedMutex("index")
            let violations = LockOrder.withChecking(learnsOrder: false, printsReports: true) {
                for round in 1...2 {
                    let go = Gate()
                    let owner = TestThread {
                        index.lock()
                        go.open()
                        waitForReport(.blockingInTask, occurrences: round)
                        index.unlock()
                    }
                    go.waitBlocking()
                    runTaskAndWait(on: first) { index.withLock {} }
                    owner.join()
                }
            }
            let counts = violations.map { "\($0.kind) x\($0.count)" }
            childSays("reported: " + counts.joined(separator: ", "))
        }
        let stderr = Self.standardError(result)
        #expect(stderr.contains("reported: blocking in task x2\n"))
        let headlines = Self.headlines(stderr).filter { $0.contains("blocking in task") }
        #expect(headlines.count == 1)
        #expect(
            headlines.first?.hasSuffix(
                "waits for index, which another thread holds, and blocks its thread meanwhile") == true)
        #expect(
            stderr.contains(
                "  hint: keep the state in an actor, or use a non-blocking design; if a lock stays, hold it with withLock for short synchronous critical sections only"
            ))
    }

    @Test(
        "condition and semaphore waits in a task: reported once per site; outside a task, or finding a unit, silent"
    )
    func blockingWaitsInTask() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let first = ThreadExecutor()
            let queue = CheckedMutex("queue")
            let ready = CheckedCondition("ready")
            let jobs = CheckedSemaphore(value: 0, "jobs")
            let violations = LockOrder.withChecking(learnsOrder: false, printsReports: true) {
                // Timed waits that nobody signals: each blocks its thread until the timeout.
                runTaskAndWait(on: first) {
                    for _ in 1...2 {
                        queue.withLock { _ = ready.wait(on: queue, timeout: .milliseconds(1)) }
                        _ = jobs.wait(timeout: .milliseconds(1))
                    }
                    // A unit is there: no wait, nothing reported.
                    jobs.signal()
                    jobs.wait()
                }
                // The same waits on a thread outside any task (the exit test's body is a task):
                // nothing reported.
                TestThread {
                    queue.withLock { _ = ready.wait(on: queue, timeout: .milliseconds(1)) }
                    _ = jobs.wait(timeout: .milliseconds(1))
                }.join()
            }
            let counts = violations.map { "\($0.kind) x\($0.count)" }
            childSays("reported: " + counts.joined(separator: ", "))
        }
        let stderr = Self.standardError(result)
        #expect(stderr.contains("reported: blocking in task x2, blocking in task x2\n"))
        let headlines = Self.headlines(stderr).filter { $0.contains("blocking in task") }
        #expect(headlines.count == 2)
        #expect(
            headlines.first?.hasSuffix("waits on condition ready with queue and blocks its thread meanwhile")
                == true)
        #expect(headlines.last?.hasSuffix("waits on semaphore jobs and blocks its thread meanwhile") == true)
        #expect(
            stderr.contains(
                "  hint: await instead of waiting: resume the task from the signalling side (withCheckedContinuation, an AsyncStream), or keep the state in an actor"
            ))
    }

    @Test("the same acquisitions uncontended, and withLock from a task: silent")
    func uncontendedAndWithLockAreSilent() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let first = ThreadExecutor()
            let second = ThreadExecutor()
            let index = CheckedMutex("index")
            let table = CheckedReadWriteLock("table")
            let spin = CheckedSpinLock("spin")
            let violations = LockOrder.withChecking(printsReports: true) {
                runTaskAndWait(on: first) {
                    index.withLock {}
                    table.withReadLock {}
                    table.withWriteLock {}
                    spin.withLock {}
                    await withTaskExecutorPreference(second) { index.withLock {} }
                    index.withLock {}
                }
                runTaskAndWait(on: second) { index.withLock {} }
            }
            childSays("reported: \(violations.count)")
        }
        let stderr = Self.standardError(result)
        #expect(stderr.contains("reported: 0\n"))
        #expect(Self.headlines(stderr).isEmpty)
    }

    @Test("the compile-time half: lock() in async code warns, withLock and the FromAsync escapes do not")
    func noasyncDiagnostics() {
        let script =
            #filePath.split(separator: "/").dropLast(3).joined(separator: "/") + "/scripts/check-noasync.sh"
        let binDirectory = lockorderBinary().split(separator: "/").dropLast().joined(separator: "/")
        let result = runChildProcess("/bin/bash", arguments: ["/" + script, "/" + binDirectory])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        let output = result.standardOutput
        #expect(output.contains("ok: Swift 5 mode: 15 noasync diagnostics"))
        #expect(
            output.contains(
                "unsafe.swift:4:10: warning: instance method 'lock' is unavailable from asynchronous contexts; use withLock, whose body cannot await; or the FromAsync escapes"
            ))
        #expect(output.contains("ok: Swift 6 mode: 15 noasync diagnostics"))
        #expect(
            output.contains(
                "ok: Swift 5 mode: withLock, the FromAsync escapes and synchronous code compile silently"))
        #expect(
            output.contains(
                "ok: Swift 6 mode: withLock, the FromAsync escapes and synchronous code compile silently"))
    }
}

/// Writes a line to the child's stderr, which the parent reads.
private func childSays(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
}

/// Waits until the checker has counted `occurrences` of a violation of `kind` (its report is
/// then printed, or counted as a repeat): the acquisition that made it is past its checks and
/// about to block. Gives up after a minute, and the child's expectations then fail.
private func waitForReport(_ kind: ViolationKind, occurrences: Int = 1) {
    let checker = CheckerState.shared
    for _ in 0..<60_000 {
        let seen = checker.tables.withLock { tables in
            tables.reporter.distinct.compactMap { $0 }.filter { $0.kind == kind }.reduce(0) { $0 + $1.count }
        }
        if seen >= occurrences { return }
        usleep(1000)
    }
}

/// A one-shot gate a task can await and a thread can block on.
private final class Gate: @unchecked Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let opened = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init() { sem_init(opened, 0, 0) }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
        sem_post(opened)
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let isOpen = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if isOpen { continuation.resume() }
        }
    }

    func waitBlocking() {
        while sem_wait(opened) != 0 {}
        sem_post(opened)
    }
}
