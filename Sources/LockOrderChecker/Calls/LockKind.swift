/// The kind of a lock as the checker sees it: which acquisitions are re-entry and which block.
public enum LockKind: UInt8, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Blocking, not reentrant (`pthread_mutex_t`, `uv_mutex_t`, `std::mutex`).
    case mutex = 0
    /// Blocking; the owning thread may take it again (`std::recursive_mutex`, `ReentrantLock`).
    case reentrantMutex = 1
    /// Spinning, not reentrant.
    case spinLock = 2
    /// Spinning; the owning thread may take it again (Julia's `jl_mutex_t`).
    case reentrantSpinLock = 3
    /// Shared and exclusive modes; readers may overtake waiting writers (`uv_rwlock_t`).
    case readerPreferringRWLock = 4
    /// Shared and exclusive modes; a waiting writer blocks new readers.
    case writerPreferringRWLock = 5

    /// Whether the owning thread may acquire the lock again without blocking.
    @inlinable @inline(__always)
    public var isReentrant: Bool { self == .reentrantMutex || self == .reentrantSpinLock }

    /// Whether the lock has a shared (read) mode.
    @inlinable @inline(__always)
    public var isReadWrite: Bool { self == .readerPreferringRWLock || self == .writerPreferringRWLock }

    /// Whether one thread can hold the lock twice at once (re-entry, or recursive reads):
    /// only then must an acquisition look for an existing hold.
    @inlinable @inline(__always)
    public var mayBeHeldTwice: Bool { rawValue & 1 != 0 || rawValue >= 4 }

    /// The type name users know the kind by.
    public var description: String {
        switch self {
        case .mutex: "Mutex"
        case .reentrantMutex: "ReentrantMutex"
        case .spinLock: "SpinLock"
        case .reentrantSpinLock: "ReentrantSpinLock"
        case .readerPreferringRWLock: "ReadWriteLock (reader-preferring)"
        case .writerPreferringRWLock: "ReadWriteLock (writer-preferring)"
        }
    }
}

/// The mode of one acquisition.
public enum AccessMode: UInt8, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Exclusive: a mutex, or the write side of a reader-writer lock.
    case exclusive = 0
    /// Shared: the read side of a reader-writer lock.
    case shared = 1

    /// `exclusive` or `shared`.
    public var description: String { self == .exclusive ? "exclusive" : "shared" }
}

/// How an acquisition waits, which decides whether it can take part in a deadlock.
public enum AcquireAttempt: UInt8, Sendable, Hashable {
    /// Waits as long as it takes: checked against every rule.
    case blocking = 0
    /// Waits until a deadline: it can still hang a thread until then, so it is checked like a
    /// blocking acquisition.
    case timed = 1
    /// Returns at once when the lock is taken: it cannot deadlock, so it is exempt from the
    /// order rules (levels, learned order); once held it orders later acquisitions.
    case tryLock = 2
}
