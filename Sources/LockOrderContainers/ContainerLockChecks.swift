import LockOrderChecker
import Synchronization

/// Runs `body` with container lock verification off on this thread (and in the tasks it
/// awaits): the seed's `[skip_lock_check]` function annotation. Containers are still locked
/// by iterations and lookups inside it; mutations in it are just not verified.
public func withoutContainerLockChecks<Result>(_ body: () throws -> Result) rethrows -> Result {
    try ContainerLockChecks.$skipsChecksInScope.withValue(true, operation: body)
}

/// The process-wide state of container lock checks.
enum ContainerLockChecks {
    /// Locks held on all containers of the process. When zero, no mutation needs to look into
    /// the elements of a container (nothing inside can be locked).
    static let lockedContainers = Atomic<Int>(0)

    /// Set inside `withoutContainerLockChecks`.
    @TaskLocal static var skipsChecksInScope = false

    /// Whether the calling thread is inside `withoutContainerLockChecks`.
    static var skipsChecks: Bool { skipsChecksInScope }
}

/// A context's switch for the containers created in it (`set_verify_context_locks`); shared by
/// reference so that turning it changes every such container at once.
final class ContextVerification {
    var verifiesLocks: Bool

    init(verifiesLocks: Bool) {
        self.verifiesLocks = verifiesLocks
    }
}

/// A type whose values hold checked containers: a struct with a `CheckedArray` field, a class
/// that owns a `CheckedDictionary`. A checked container of such elements verifies the
/// containers inside its elements before each mutation (the seed's nested lock checks), so that
/// `for b in a[0] { a.resize(100500) }` is refused. Element types that do not conform cost
/// nothing: the container knows at creation that its elements hold no checked containers.
public protocol HoldsCheckedContainers {
    /// The checked containers this value holds (directly; each one looks into its own
    /// elements).
    var checkedContainers: [CheckedContainer] { get }

    /// True to leave this type's fields out of the nested checks: the seed's
    /// `[skip_field_lock_check]` structure annotation. False unless a type says otherwise.
    static var skipsFieldLockCheck: Bool { get }
}

extension HoldsCheckedContainers {
    /// Fields are checked unless the type says otherwise.
    public static var skipsFieldLockCheck: Bool { false }
}

extension Optional: HoldsCheckedContainers where Wrapped: HoldsCheckedContainers {
    /// The wrapped value's containers, none for `nil`.
    public var checkedContainers: [CheckedContainer] { self?.checkedContainers ?? [] }
    /// As the wrapped type says.
    public static var skipsFieldLockCheck: Bool { Wrapped.skipsFieldLockCheck }
}

extension Array: HoldsCheckedContainers where Element: HoldsCheckedContainers {
    /// Every element's containers.
    public var checkedContainers: [CheckedContainer] { flatMap(\.checkedContainers) }
    /// As the element type says.
    public static var skipsFieldLockCheck: Bool { Element.skipsFieldLockCheck }
}

/// Whether a container of `Element`s must look into its elements before mutations.
func elementsHoldCheckedContainers<Element>(_: Element.Type) -> Bool {
    guard let holder = Element.self as? any HoldsCheckedContainers.Type else { return false }
    return !holder.skipsFieldLockCheck
}
