import CLockOrderSupport

/// What a lock is classed by: the checker's levels and learned order are about classes, not
/// instances (lockdep's lesson), so a million per-object locks made at one place are one class.
public enum LockClass: Sendable, Hashable {
    /// The place the lock was created (`#fileID:#line`); the default.
    case creationSite
    /// A lock named in the active hierarchy, which gives the class its level and kind.
    case declared(String)
    /// A class of its own: the lock orders against others as an individual, and its learned
    /// order is forgotten when it is destroyed (abseil's per-mutex graph nodes).
    case instance
}

/// An id that names a lock instance for its whole lifetime (never a reusable address), with the
/// class and name the checker resolved for it when it was created. 16 bytes: a lock keeps it
/// inline, and the lock types' memory budget is 64 bytes beyond the pthread object.
public struct LockIdentity: Sendable, Hashable {
    /// Unique among all locks the process ever creates.
    public let id: UInt64
    /// The lock's display name (an index into the checker's name table).
    public let nameID: UInt32
    /// The class id, which fits 16 bits (LOCKORDER_CLASS_CAPACITY classes).
    @usableFromInline let classIndex: UInt16
    /// What kind of lock it is.
    public let kind: LockKind
    /// Implicit-acquisition options (bit set; see `LockOption`).
    public let optionBits: UInt8

    init(id: UInt64, classID: UInt32, nameID: UInt32, kind: LockKind, optionBits: UInt8) {
        self.id = id
        self.nameID = nameID
        self.classIndex = UInt16(truncatingIfNeeded: classID)
        self.kind = kind
        self.optionBits = optionBits
    }

    /// The lock class (an index into the checker's class table).
    @inlinable
    public var classID: UInt32 { UInt32(classIndex) }

    /// Whether the lock is the only member of its class (`LockClass.instance`): its destruction
    /// must always be told to the checker, which then frees the class.
    @inlinable
    public var hasInstanceClass: Bool { lockorder_class_is_instance(classID) != 0 }
}
