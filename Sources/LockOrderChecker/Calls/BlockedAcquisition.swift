extension LockOrder {
    /// Runs `wait`, the raw blocking acquisition of `lock` in `mode`, published for the watchdog
    /// as "this thread waits for `lock` since now" (docs/watchdog.md): a user's own lock calls it
    /// on its contended path only, after a raw trylock failed, between `willAcquire` and
    /// `didAcquire`. Returns what `wait` returned (a timed wait: whether it got the lock).
    ///
    /// With the watchdog off it costs one load; with it on, the wait takes a slot in the
    /// watchdog's table for as long as it lasts, so the watchdog can report a `deadlock` it is
    /// part of, or a `long_wait`. It neither checks nor records anything for the order rules.
    @inline(never)
    public static func blockedAcquisition<Result>(
        of lock: LockIdentity, mode: AccessMode = .exclusive, site: SourceSite, _ wait: () -> Result
    ) -> Result {
        WaitRegistry.waiting(for: .lock(lock, mode), site: site, wait)
    }
}
