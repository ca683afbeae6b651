import LockCore
import LockOrderTestSupport

#if canImport(Glibc)
    import Glibc
#endif

// The uniform face the scenario x lock-kind matrices drive: every exclusive lock (the four
// mutex-like types, and the write side of both reader-writer fairnesses) behind one protocol.

/// An exclusive lock as the matrix tests use it. The requirements are the lock types' own
/// methods (their default arguments do not count for conformance); the extension below adds
/// the short forms the tests call.
protocol ExclusiveLock: AnyObject, Sendable {
    func lock(fileID: StaticString, line: UInt)
    func unlock(fileID: StaticString, line: UInt)
    func tryLock(fileID: StaticString, line: UInt) -> Bool
    func tryLock(for timeout: Duration, fileID: StaticString, line: UInt) -> Bool
    func withLock<Result, Failure: Error>(
        fileID: StaticString, line: UInt, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result
    func withLockIfAvailable<Result, Failure: Error>(
        fileID: StaticString, line: UInt, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result?
    func assertHeld(fileID: StaticString, line: UInt)
    func assertNotHeld(fileID: StaticString, line: UInt)
    var identity: LockIdentity { get }
}

extension ExclusiveLock {
    func lock() { lock(fileID: #fileID, line: #line) }
    func unlock() { unlock(fileID: #fileID, line: #line) }
    func tryLock() -> Bool { tryLock(fileID: #fileID, line: #line) }
    func tryLock(for timeout: Duration) -> Bool { tryLock(for: timeout, fileID: #fileID, line: #line) }
    func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        try withLock(fileID: #fileID, line: #line, body)
    }
}

extension CheckedMutex: ExclusiveLock {}
extension CheckedReentrantMutex: ExclusiveLock {}
extension CheckedSpinLock: ExclusiveLock {}
extension CheckedReentrantSpinLock: ExclusiveLock {}

/// The write side of a reader-writer lock, seen as an exclusive lock.
final class WriteSide: ExclusiveLock {
    let rwlock: CheckedReadWriteLock

    init(_ rwlock: CheckedReadWriteLock) { self.rwlock = rwlock }

    func lock(fileID: StaticString, line: UInt) { rwlock.lockWrite(fileID: fileID, line: line) }
    func unlock(fileID: StaticString, line: UInt) { rwlock.unlockWrite(fileID: fileID, line: line) }
    func tryLock(fileID: StaticString, line: UInt) -> Bool { rwlock.tryLockWrite(fileID: fileID, line: line) }
    func tryLock(for timeout: Duration, fileID: StaticString, line: UInt) -> Bool {
        rwlock.tryLockWrite(for: timeout, fileID: fileID, line: line)
    }
    func withLock<Result, Failure: Error>(
        fileID: StaticString, line: UInt, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try rwlock.withWriteLock(fileID: fileID, line: line, body)
    }
    func withLockIfAvailable<Result, Failure: Error>(
        fileID: StaticString, line: UInt, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        try rwlock.withWriteLockIfAvailable(fileID: fileID, line: line, body)
    }
    func assertHeld(fileID: StaticString, line: UInt) {
        rwlock.assertHeld(mode: .exclusive, fileID: fileID, line: line)
    }
    func assertNotHeld(fileID: StaticString, line: UInt) { rwlock.assertNotHeld(fileID: fileID, line: line) }
    var identity: LockIdentity { rwlock.identity }
}

/// A reentrant lock: one that counts its holds.
protocol ReentrantLock: ExclusiveLock {
    var holdCount: Int { get }
}

extension CheckedReentrantMutex: ReentrantLock {}
extension CheckedReentrantSpinLock: ReentrantLock {}

/// The columns of the matrix: each lock type, and the write side of each rwlock fairness.
enum ExclusiveKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case mutex
    case reentrantMutex
    case spinLock
    case reentrantSpinLock
    case readerPreferringWrite
    case writerPreferringWrite

    /// The lock types that are not reentrant (locking them twice is a self-deadlock).
    static let nonReentrant: [ExclusiveKind] = [
        .mutex, .spinLock, .readerPreferringWrite, .writerPreferringWrite,
    ]

    var description: String { rawValue }

    /// A new lock of this kind. The creation site is the caller's, so two locks made on two
    /// lines of a test are two lock classes for the order rules.
    func make(_ name: String, fileID: StaticString = #fileID, line: UInt = #line) -> any ExclusiveLock {
        switch self {
        case .mutex: CheckedMutex(name, fileID: fileID, line: line)
        case .reentrantMutex: CheckedReentrantMutex(name, fileID: fileID, line: line)
        case .spinLock: CheckedSpinLock(name, fileID: fileID, line: line)
        case .reentrantSpinLock: CheckedReentrantSpinLock(name, fileID: fileID, line: line)
        case .readerPreferringWrite:
            WriteSide(CheckedReadWriteLock(name, fairness: .readerPreferring, fileID: fileID, line: line))
        case .writerPreferringWrite:
            WriteSide(CheckedReadWriteLock(name, fairness: .writerPreferring, fileID: fileID, line: line))
        }
    }

    /// The kind the checker records for it.
    var lockKind: LockKind {
        switch self {
        case .mutex: .mutex
        case .reentrantMutex: .reentrantMutex
        case .spinLock: .spinLock
        case .reentrantSpinLock: .reentrantSpinLock
        case .readerPreferringWrite: .readerPreferringRWLock
        case .writerPreferringWrite: .writerPreferringRWLock
        }
    }
}

/// The reentrant columns.
enum ReentrantKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case reentrantMutex
    case reentrantSpinLock

    var description: String { rawValue }

    func make(_ name: String, fileID: StaticString = #fileID, line: UInt = #line) -> any ReentrantLock {
        switch self {
        case .reentrantMutex: CheckedReentrantMutex(name, fileID: fileID, line: line)
        case .reentrantSpinLock: CheckedReentrantSpinLock(name, fileID: fileID, line: line)
        }
    }
}

// MARK: - Threads and handshakes

/// A counting semaphore for handshakes between test threads, with a bounded wait (so a test
/// that expects a thread to be blocked proves it by a wait that must time out, not a sleep).
final class Semaphore: @unchecked Sendable {
    private let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init() {
        semaphore.initialize(to: sem_t())
        precondition(sem_init(semaphore, 0, 0) == 0, "sem_init failed")
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    func signal() {
        precondition(sem_post(semaphore) == 0, "sem_post failed")
    }

    func wait() {
        while sem_wait(semaphore) != 0 {
            precondition(errno == EINTR, "sem_wait failed")
        }
    }

    /// Waits at most `timeout`; true when the semaphore was signalled in time.
    func wait(timeout: Duration) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
        deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        while sem_timedwait(semaphore, &deadline) != 0 {
            if errno == ETIMEDOUT { return false }
            precondition(errno == EINTR, "sem_timedwait failed")
        }
        return true
    }
}

/// A value written by one thread and read by another after a join or a semaphore (which
/// order the accesses), so it needs no lock of its own.
final class Box<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A counter with no synchronization at all: only a working lock keeps its increments exact.
final class UnprotectedCounter: @unchecked Sendable {
    var value = 0
}

/// Runs `body` on a new thread, waits for it, and returns its result.
func onAnotherThread<Result>(_ body: @escaping @Sendable () -> Result) -> Result {
    let result = Box<Result?>(nil)
    TestThread.runAndWait { result.value = body() }
    return result.value!
}

/// Whether another thread can take `lock` right now (it releases it again at once).
func anotherThreadCanTake(_ lock: any ExclusiveLock) -> Bool {
    onAnotherThread {
        guard lock.tryLock() else { return false }
        lock.unlock()
        return true
    }
}

/// Whether another thread can take the write side of `rwlock` right now (and release it).
func anotherThreadCanWrite(_ rwlock: CheckedReadWriteLock) -> Bool {
    anotherThreadCanTake(WriteSide(rwlock))
}

/// Whether another thread can take the read side of `rwlock` right now (and release it).
func anotherThreadCanRead(_ rwlock: CheckedReadWriteLock) -> Bool {
    onAnotherThread {
        guard rwlock.tryLockRead() else { return false }
        rwlock.unlockRead()
        return true
    }
}

/// Keeps a lock alive for the rest of the process on purpose: used for a lock a finished thread
/// left held, which must not be destroyed (destroying a held pthread mutex is undefined).
func keepForever(_ object: AnyObject) {
    _ = Unmanaged.passRetained(object)
}

/// A test error that identifies which throw it came from.
enum TestError: Error, Equatable {
    case boom(Int)
}
