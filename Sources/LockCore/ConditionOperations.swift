import CLockOrderSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The raw pthread calls of `CheckedCondition` and `CheckedSemaphore`, each return code checked.
/// Condition variables measure timeouts on CLOCK_MONOTONIC, so a change of the wall clock does
/// not stretch or cut a wait.
extension LockOperations {
    static func makeCondition() -> UnsafeMutablePointer<pthread_cond_t> {
        let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        check(pthread_condattr_init(&attributes), "pthread_condattr_init")
        check(pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC), "pthread_condattr_setclock")
        check(pthread_cond_init(condition, &attributes), "pthread_cond_init")
        pthread_condattr_destroy(&attributes)
        return condition
    }

    static func destroy(_ condition: UnsafeMutablePointer<pthread_cond_t>) {
        check(pthread_cond_destroy(condition), "pthread_cond_destroy")
        condition.deallocate()
    }

    /// Waits on `condition`, releasing `mutex` meanwhile; the caller holds `mutex`, and holds it
    /// again on return. `deadline` is in monotonic nanoseconds (nil: no deadline). Returns false
    /// when the deadline passed, true when woken (by a signal, a broadcast or spuriously).
    static func wait(
        _ condition: UnsafeMutablePointer<pthread_cond_t>, _ mutex: UnsafeMutablePointer<pthread_mutex_t>,
        deadline: UInt64?
    ) -> Bool {
        guard let deadline else {
            check(pthread_cond_wait(condition, mutex), "pthread_cond_wait")
            return true
        }
        var time = timespec(
            tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        let result = pthread_cond_timedwait(condition, mutex, &time)
        if result == ETIMEDOUT { return false }
        check(result, "pthread_cond_timedwait")
        return true
    }

    static func signal(_ condition: UnsafeMutablePointer<pthread_cond_t>) {
        check(pthread_cond_signal(condition), "pthread_cond_signal")
    }

    static func broadcast(_ condition: UnsafeMutablePointer<pthread_cond_t>) {
        check(pthread_cond_broadcast(condition), "pthread_cond_broadcast")
    }

    /// The monotonic deadline `timeout` from now (a negative timeout is now).
    static func deadline(after timeout: Duration) -> UInt64 {
        let now = monotonicNanoseconds()
        let (sum, overflow) = now.addingReportingOverflow(UInt64(nanoseconds(timeout)))
        return overflow ? UInt64.max / 2 : sum
    }

    /// The monotonic deadline of a `ContinuousClock` instant.
    static func deadline(at instant: ContinuousClock.Instant) -> UInt64 {
        deadline(after: ContinuousClock.now.duration(to: instant))
    }
}
