import CLockOrderSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Every raw pthread call the lock types make, in one place, each return code checked.
///
/// The pthread objects are allocated here, once, and never move (a moved pthread object is
/// undefined behaviour).
@usableFromInline
enum LockOperations {
    // MARK: Mutex

    @usableFromInline
    static func makeMutex() -> UnsafeMutablePointer<pthread_mutex_t> {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        check(pthread_mutex_init(mutex, nil), "pthread_mutex_init")
        return mutex
    }

    @inlinable
    static func lock(_ mutex: UnsafeMutablePointer<pthread_mutex_t>) {
        let result = lockorder_raw_mutex_lock(mutex)
        if result != 0 { failInline(result, "pthread_mutex_lock") }
    }

    @inlinable
    static func unlock(_ mutex: UnsafeMutablePointer<pthread_mutex_t>) {
        let result = lockorder_raw_mutex_unlock(mutex)
        if result != 0 { failInline(result, "pthread_mutex_unlock") }
    }

    @inlinable
    static func tryLock(_ mutex: UnsafeMutablePointer<pthread_mutex_t>) -> Bool {
        let result = lockorder_raw_mutex_trylock(mutex)
        if result == 0 { return true }
        if result != EBUSY { failInline(result, "pthread_mutex_trylock") }
        return false
    }

    @usableFromInline
    static func lock(_ mutex: UnsafeMutablePointer<pthread_mutex_t>, timeout: Duration) -> Bool {
        let result = lockorder_mutex_timed_lock(mutex, nanoseconds(timeout))
        if result == 0 { return true }
        if result != ETIMEDOUT { fail(result, "pthread_mutex_clocklock") }
        return false
    }

    /// Who holds the mutex, from glibc's record of the owner's kernel thread id (set by every
    /// lock, cleared by every unlock). Only for reports: it can be stale as soon as it is read.
    @usableFromInline
    static func holder(of mutex: UnsafeMutablePointer<pthread_mutex_t>) -> RawHolder {
        let owner = mutex.pointee.__data.__owner
        if owner == 0 { return .nobody }
        return Int64(owner) == lockorder_thread_id() ? .thisThread : .anotherThread
    }

    /// Who holds the lock in `mode`: the writer is known to glibc by thread id; readers are
    /// only counted, so a held read side is reported as some other thread's.
    @usableFromInline
    static func holder(of rwlock: UnsafeMutablePointer<pthread_rwlock_t>, mode: AccessMode) -> RawHolder {
        let writer = rwlock.pointee.__data.__cur_writer
        if writer != 0 {
            return Int64(writer) == lockorder_thread_id() && mode == .exclusive ? .thisThread : .anotherThread
        }
        return isHeld(rwlock) ? .anotherThread : .nobody
    }

    /// Whether some thread holds the mutex, asked with a trylock (taken back at once when it
    /// succeeds). Only for reports: the answer can be stale as soon as it is given.
    @usableFromInline
    static func isHeld(_ mutex: UnsafeMutablePointer<pthread_mutex_t>) -> Bool {
        guard tryLock(mutex) else { return true }
        unlock(mutex)
        return false
    }

    /// Destroys and frees a mutex. A mutex dropped while held (only possible with checking off,
    /// which does not report it) is refused by glibc with EBUSY: it is freed all the same, since
    /// nothing can reach it any more, rather than stop the process.
    @usableFromInline
    static func destroy(_ mutex: UnsafeMutablePointer<pthread_mutex_t>) {
        let result = pthread_mutex_destroy(mutex)
        if result != 0 && result != EBUSY { fail(result, "pthread_mutex_destroy") }
        mutex.deallocate()
    }

    // MARK: Reader-writer lock

    @usableFromInline
    static func makeReadWriteLock(prefersWriters: Bool) -> UnsafeMutablePointer<pthread_rwlock_t> {
        let rwlock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        rwlock.initialize(to: pthread_rwlock_t())
        // The kind is set, or the process stops naming the call: never a lock of the other kind.
        let attributes = UnsafeMutablePointer<pthread_rwlockattr_t>.allocate(capacity: 1)
        defer { attributes.deallocate() }
        check(pthread_rwlockattr_init(attributes), "pthread_rwlockattr_init")
        let kind =
            prefersWriters ? PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP : PTHREAD_RWLOCK_PREFER_READER_NP
        check(pthread_rwlockattr_setkind_np(attributes, Int32(kind)), "pthread_rwlockattr_setkind_np")
        check(pthread_rwlock_init(rwlock, attributes), "pthread_rwlock_init")
        check(pthread_rwlockattr_destroy(attributes), "pthread_rwlockattr_destroy")
        return rwlock
    }

    @inlinable
    static func readLock(_ rwlock: UnsafeMutablePointer<pthread_rwlock_t>) {
        let result = lockorder_raw_rwlock_rdlock(rwlock)
        if result != 0 { failInline(result, "pthread_rwlock_rdlock") }
    }

    @inlinable
    static func writeLock(_ rwlock: UnsafeMutablePointer<pthread_rwlock_t>) {
        let result = lockorder_raw_rwlock_wrlock(rwlock)
        if result != 0 { failInline(result, "pthread_rwlock_wrlock") }
    }

    @inlinable
    static func tryReadLock(_ rwlock: UnsafeMutablePointer<pthread_rwlock_t>) -> Bool {
        let result = lockorder_raw_rwlock_tryrdlock(rwlock)
        if result == 0 { return true }
        if result != EBUSY && result != EAGAIN { failInline(result, "pthread_rwlock_tryrdlock") }
        return false
    }

    @inlinable
    static func tryWriteLock(_ rwlock: UnsafeMutablePointer<pthread_rwlock_t>) -> Bool {
        let result = lockorder_raw_rwlock_trywrlock(rwlock)
        if result == 0 { return true }
        if result != EBUSY { failInline(result, "pthread_rwlock_trywrlock") }
        return false
    }

    @usableFromInline
    static func readLock(_ rwlock: UnsafeMutablePointer<pthread_rwlock_t>, timeout: Duration) -> Bool {
        let result = lockorder_rwlock_timed_read_lock(rwlock, nanoseconds(timeout))
        if result == 0 { return true }
        if result != ETIMEDOUT { fail(result, "pthread_rwlock_clockrdlock") }
        return false
    }

    @usableFromInline
    static func writeLock(_ rwlock: UnsafeMutablePointer<pthread_rwlock_t>, timeout: Duration) -> Bool {
        let result = lockorder_rwlock_timed_write_lock(rwlock, nanoseconds(timeout))
        if result == 0 { return true }
        if result != ETIMEDOUT { fail(result, "pthread_rwlock_clockwrlock") }
        return false
    }

    @inlinable
    static func unlock(_ rwlock: UnsafeMutablePointer<pthread_rwlock_t>) {
        let result = lockorder_raw_rwlock_unlock(rwlock)
        if result != 0 { failInline(result, "pthread_rwlock_unlock") }
    }

    /// Whether some thread holds either side of the lock, asked with a write trylock.
    @usableFromInline
    static func isHeld(_ rwlock: UnsafeMutablePointer<pthread_rwlock_t>) -> Bool {
        guard tryWriteLock(rwlock) else { return true }
        unlock(rwlock)
        return false
    }

    @usableFromInline
    static func destroy(_ rwlock: UnsafeMutablePointer<pthread_rwlock_t>) {
        check(pthread_rwlock_destroy(rwlock), "pthread_rwlock_destroy")
        rwlock.deallocate()
    }

    // MARK: Spinning

    /// Spins on `attempt` with exponential backoff (pause instructions), then yields the CPU
    /// between attempts, until it succeeds or `deadline` (monotonic nanoseconds) passes.
    @usableFromInline @inline(never)
    static func spin(until deadline: UInt64? = nil, _ attempt: () -> Bool) -> Bool {
        var backoff = 1
        while true {
            if attempt() { return true }
            if let deadline, monotonicNanoseconds() >= deadline { return false }
            if backoff <= 64 {
                for _ in 0..<backoff { lockorder_cpu_relax() }
                backoff *= 2
            } else {
                sched_yield()
            }
        }
    }

    @usableFromInline
    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// A timeout in nanoseconds: zero for a zero or negative one (an immediate try; a negative
    /// duration under one second has zero seconds and negative attoseconds), capped far from overflow.
    @usableFromInline
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || attoseconds < 0 { return 0 }
        if seconds > Int64.max / 1_000_000_000 - 1 { return Int64.max / 2 }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    // MARK: Errors

    @usableFromInline
    static func check(_ result: Int32, _ call: StaticString) {
        if result != 0 { fail(result, call) }
    }

    /// A pthread call that cannot fail on a correctly used lock did: stop with its name and
    /// error (the state of the lock is unknown from here on).
    @usableFromInline @inline(never)
    static func fail(_ result: Int32, _ call: StaticString) -> Never {
        fatalError("lockorder: \(call) failed: \(String(cString: strerror(result))) (\(result))")
    }

    /// `fail`, as the inlined lock and unlock calls make it. It never returns either, but is
    /// declared to return and to release nothing, for Swift's optimizer: a call to a `Never`
    /// function ends its path in `unreachable`, and that path alone kept the lock object retained
    /// across the whole inlined operation (docs/performance.md, "The retain").
    @usableFromInline @inline(never) @_effects(releasenone)
    static func failInline(_ result: Int32, _ call: StaticString) {
        fail(result, call)
    }
}
