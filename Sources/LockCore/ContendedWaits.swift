import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// The contended path of the checked acquisitions: the raw lock is tried first, and only when
/// it is taken does the thread publish "waiting for this lock since now" for the watchdog
/// (`WaitRegistry`) before it blocks. Uncontended, this is the trylock instead of the lock (the
/// same atomic instruction in glibc); the rest is out of line. Only the checked paths use it:
/// with checking off the lock types call the raw lock alone.
extension LockOperations {
    @inlinable @inline(__always)
    static func lock(
        _ mutex: UnsafeMutablePointer<pthread_mutex_t>, as identity: LockIdentity, site: SourceSite
    ) {
        if _fastPath(tryLock(mutex)) { return }
        lockContended(mutex, as: identity, site: site)
    }

    @usableFromInline @inline(never) @_effects(releasenone)
    static func lockContended(
        _ mutex: UnsafeMutablePointer<pthread_mutex_t>, as identity: LockIdentity, site: SourceSite
    ) {
        WaitRegistry.waiting(for: .lock(identity, .exclusive), site: site) { lock(mutex) }
    }

    @inlinable @inline(__always)
    static func readLock(
        _ rwlock: UnsafeMutablePointer<pthread_rwlock_t>, as identity: LockIdentity, site: SourceSite
    ) {
        if _fastPath(tryReadLock(rwlock)) { return }
        lockContended(rwlock, .shared, as: identity, site: site)
    }

    @inlinable @inline(__always)
    static func writeLock(
        _ rwlock: UnsafeMutablePointer<pthread_rwlock_t>, as identity: LockIdentity, site: SourceSite
    ) {
        if _fastPath(tryWriteLock(rwlock)) { return }
        lockContended(rwlock, .exclusive, as: identity, site: site)
    }

    @usableFromInline @inline(never) @_effects(releasenone)
    static func lockContended(
        _ rwlock: UnsafeMutablePointer<pthread_rwlock_t>, _ mode: AccessMode, as identity: LockIdentity,
        site: SourceSite
    ) {
        WaitRegistry.waiting(for: .lock(identity, mode), site: site) {
            if mode == .shared { readLock(rwlock) } else { writeLock(rwlock) }
        }
    }
}

/// The contended paths of the timed acquisitions and the spin locks: published the same way, so
/// that the watchdog sees every checked lock a thread blocks on (docs/watchdog.md).
extension LockOperations {
    /// A timed mutex acquisition: the trylock first, the published timed wait only when it fails.
    @usableFromInline
    static func lock(
        _ mutex: UnsafeMutablePointer<pthread_mutex_t>, timeout: Duration, as identity: LockIdentity,
        site: SourceSite
    ) -> Bool {
        if tryLock(mutex) { return true }
        return WaitRegistry.waiting(for: .lock(identity, .exclusive), site: site) {
            lock(mutex, timeout: timeout)
        }
    }

    /// A timed reader-writer acquisition in `mode`, published when the trylock fails.
    @usableFromInline
    static func lock(
        _ rwlock: UnsafeMutablePointer<pthread_rwlock_t>, _ mode: AccessMode, timeout: Duration,
        as identity: LockIdentity, site: SourceSite
    ) -> Bool {
        if mode == .shared ? tryReadLock(rwlock) : tryWriteLock(rwlock) { return true }
        return WaitRegistry.waiting(for: .lock(identity, mode), site: site) {
            mode == .shared ? readLock(rwlock, timeout: timeout) : writeLock(rwlock, timeout: timeout)
        }
    }

    /// Spins on `attempt` (after a first attempt failed) as `spin(until:_:)`, published as a wait
    /// for the spin lock `identity`.
    @usableFromInline @inline(never)
    static func spin(
        until deadline: UInt64? = nil, as identity: LockIdentity, site: SourceSite, _ attempt: () -> Bool
    ) -> Bool {
        WaitRegistry.waiting(for: .lock(identity, .exclusive), site: site) { spin(until: deadline, attempt) }
    }
}
