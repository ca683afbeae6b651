/// A runtime lock as a report shows it: a container locked by an iteration, a lookup or an
/// explicit `lock()`, or a context locked by `lock()`.
///
/// These are not mutual-exclusion locks: nobody waits for them, so they are not in the lock
/// order graph and have no level. They appear in `container_locked` and `context_locked`
/// reports (docs/containers.md).
public struct RuntimeLockSnapshot: Sendable, Hashable, Codable {
    /// The locked container or context, with its path from the one the operation was
    /// attempted on (`a[0] (CheckedArray<Int>)`).
    public let name: String
    /// What holds the lock: `iteration`, `keys`, `values`, `find`, `lock()`.
    public let lockedBy: String
    /// Where the lock was taken: `File.swift:line`, or the first user frame of the iteration's
    /// backtrace for a `for`-`in` loop (which has no source site of its own).
    public let site: String

    /// Creates a snapshot.
    public init(name: String, lockedBy: String, site: String) {
        self.name = name
        self.lockedBy = lockedBy
        self.site = site
    }

    /// `a[0] (CheckedArray<Int>), locked by iteration at File.swift:12`.
    public var summary: String { "\(name), locked by \(lockedBy) at \(site)" }
}
