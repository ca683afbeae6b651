/// A declared lock hierarchy: locks with levels (higher level = taken first;
/// while holding level L only strictly lower levels may be taken), plus named
/// exceptions and rules as data. The rules are enforced elsewhere; this type
/// only holds and validates the declaration.
public struct LockHierarchy: Sendable, Hashable, CustomStringConvertible {
    /// The allowed lock levels.
    public static let levelRange: ClosedRange<Int> = 1...255

    /// The hierarchy's name, for reports.
    public let name: String
    /// The declared locks, in table order (see ``LockSelector/listedBefore(_:)``).
    public let locks: [DeclaredLock]
    /// Protocols that allow holding several locks of one class at once.
    public let exceptions: [HierarchyException]
    /// Locks taken implicitly by lock operations with an option.
    public let implicitAcquisitions: [ImplicitAcquisition]
    /// Operations forbidden while holding some locks.
    public let forbiddenOperations: [ForbiddenOperation]

    /// Table position of each lock name.
    private let indexByName: [String: Int]

    /// Validates the declaration (the same checks as the file loader) and
    /// throws a ``HierarchyError`` whose source is `"<swift>"` and whose
    /// location is the key path of the offending value, as in a file
    /// (for example `locks[3].level`).
    public init(
        name: String,
        locks: [DeclaredLock],
        exceptions: [HierarchyException] = [],
        implicitAcquisitions: [ImplicitAcquisition] = [],
        forbiddenOperations: [ForbiddenOperation] = []
    ) throws(HierarchyError) {
        try self.init(
            name: name, locks: locks, exceptions: exceptions,
            implicitAcquisitions: implicitAcquisitions,
            forbiddenOperations: forbiddenOperations,
            source: HierarchyError.swiftSource)
    }

    /// Validates with errors attributed to `source`.
    init(
        name: String,
        locks: [DeclaredLock],
        exceptions: [HierarchyException],
        implicitAcquisitions: [ImplicitAcquisition],
        forbiddenOperations: [ForbiddenOperation],
        source: String
    ) throws(HierarchyError) {
        try LockHierarchy.validate(
            name: name, locks: locks, exceptions: exceptions,
            implicitAcquisitions: implicitAcquisitions,
            forbiddenOperations: forbiddenOperations,
            source: source)
        self.init(
            uncheckedName: name, locks: locks, exceptions: exceptions,
            implicitAcquisitions: implicitAcquisitions,
            forbiddenOperations: forbiddenOperations)
    }

    /// No validation: only for tables known to be valid (the built-in one,
    /// whose validity a test checks).
    init(
        uncheckedName name: String,
        locks: [DeclaredLock],
        exceptions: [HierarchyException],
        implicitAcquisitions: [ImplicitAcquisition],
        forbiddenOperations: [ForbiddenOperation]
    ) {
        self.name = name
        self.locks = locks
        self.exceptions = exceptions
        self.implicitAcquisitions = implicitAcquisitions
        self.forbiddenOperations = forbiddenOperations
        var indexByName: [String: Int] = [:]
        indexByName.reserveCapacity(locks.count)
        for (index, lock) in locks.enumerated() where indexByName[lock.name] == nil {
            indexByName[lock.name] = index
        }
        self.indexByName = indexByName
    }

    /// The declared lock with this name, if any. O(1).
    public func lock(named name: String) -> DeclaredLock? {
        guard let index = indexByName[name] else { return nil }
        return locks[index]
    }

    /// The lock's position in table order, if it is declared. O(1).
    public func index(of name: String) -> Int? {
        indexByName[name]
    }

    /// `name (N locks)`.
    public var description: String {
        "\(name) (\(locks.count) locks)"
    }

    /// Equal when name, locks (in order), exceptions, implicit acquisitions and forbidden operations are.
    public static func == (lhs: LockHierarchy, rhs: LockHierarchy) -> Bool {
        lhs.name == rhs.name
            && lhs.locks == rhs.locks
            && lhs.exceptions == rhs.exceptions
            && lhs.implicitAcquisitions == rhs.implicitAcquisitions
            && lhs.forbiddenOperations == rhs.forbiddenOperations
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(locks)
        hasher.combine(exceptions)
        hasher.combine(implicitAcquisitions)
        hasher.combine(forbiddenOperations)
    }

    static var levelRangeText: String {
        "\(levelRange.lowerBound)...\(levelRange.upperBound)"
    }
}
