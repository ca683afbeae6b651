/// A named exception to the rule that a lock may not be taken while holding a
/// lock of the same level: it lets several locks of one class be held at once
/// under a protocol.
///
/// In JSON: `{"type": "guardedSameLevel", "lock": "jl_method_t.writelock", "guard": "world_counter_lock"}`
/// or `{"type": "instanceOrder", "lock": "orc::ThreadSafeContext"}`.
public enum HierarchyException: Sendable, Hashable, CustomStringConvertible {
    /// Several locks of class `lock` may be held at once only while `guard` is
    /// held (Julia: `jl_method_t.writelock` guarded by `world_counter_lock`).
    /// The guard's level must be higher than the lock's.
    case guardedSameLevel(lock: String, guard: String)
    /// Several locks of class `lock` may be held at once only if acquired in
    /// increasing order key (Julia: `orc::ThreadSafeContext`, in the order
    /// borrowed from the pool).
    case instanceOrder(lock: String)

    /// The lock class the exception applies to.
    public var lockName: String {
        switch self {
        case .guardedSameLevel(let lock, _): lock
        case .instanceOrder(let lock): lock
        }
    }

    /// A short human name for reports.
    public var name: String {
        switch self {
        case .guardedSameLevel(_, let guardLock): "guarded same level (\(guardLock))"
        case .instanceOrder: "instance order"
        }
    }

    /// The JSON `type` value of this case.
    public var typeName: String {
        switch self {
        case .guardedSameLevel: "guardedSameLevel"
        case .instanceOrder: "instanceOrder"
        }
    }

    /// The exception in words.
    public var description: String {
        switch self {
        case .guardedSameLevel(let lock, let guardLock):
            "several \(lock) may be held at once only while holding \(guardLock)"
        case .instanceOrder(let lock):
            "several \(lock) may be held at once only if acquired in increasing order key"
        }
    }
}
