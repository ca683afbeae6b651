import LockOrderChecker
import Synchronization

/// What the checked containers share: the lock count that every mutation reads, the record of
/// who holds each lock (for reports), the verification switches and the nested check.
///
/// Not a mutual-exclusion lock: a container is locked by the thread that iterates it, looks
/// into it or calls `lock()`, and a locked container refuses to be modified (docs/containers.md).
/// Containers are not `Sendable`: like `Array` in a class, one thread uses a container at a
/// time (guard a shared one with a lock, e.g. `LockedValue`).
public class CheckedContainer {
    /// How many locks are held on this container (iterations, lookups, explicit `lock()`s).
    /// Every mutation reads it first; zero is the fast path.
    /// Exclusivity is not enforced dynamically: the container is not `Sendable`, and the check
    /// would cost more than the rest of a mutation's fast path.
    @exclusivity(unchecked) @usableFromInline final var lockCount = 0
    /// Whether the elements' type can hold checked containers (it conforms to
    /// `HoldsCheckedContainers` without `skipsFieldLockCheck`): only then do mutations look
    /// into the elements.
    @usableFromInline final let checksElements: Bool
    /// Why a mutation must verify locks: the locks held on this container, plus one when its
    /// elements can hold checked containers. Zero is the fast path of every mutation: one load
    /// and one compare (`lockCount` and `checksElements` folded, so not two of each).
    @exclusivity(unchecked) @usableFromInline final var verificationReasons: Int
    /// The container's own switch (`set_verify_array_locks` / `set_verify_table_locks`).
    final var ownVerification = true
    /// The switch of the context the container was created in (`options skip_lock_checks`,
    /// `set_verify_context_locks`), nil outside a context.
    final let contextVerification: ContextVerification?
    /// Who holds each lock, oldest first.
    final var holders: [LockHolder] = []
    /// The name reports use; the container's type when it has none.
    public final let name: String?
    private static let nextHolderID = Atomic<UInt64>(0)

    init(name: String?, checksElements: Bool, context: ContextVerification?) {
        self.name = name
        self.checksElements = checksElements
        self.verificationReasons = checksElements ? 1 : 0
        self.contextVerification = context
    }

    /// The container's type as reports write it, e.g. `CheckedArray<Int>`.
    var typeName: String { "CheckedContainer" }

    /// `name (CheckedArray<Int>)`, or the type alone for an unnamed container.
    final var displayName: String { name.map { "\($0) (\(typeName))" } ?? typeName }

    /// Whether this container's locks are verified: its own switch and its context's.
    public final var verifiesLocks: Bool {
        get { ownVerification && (contextVerification?.verifiesLocks ?? true) }
        set { ownVerification = newValue }
    }

    /// Whether the container is locked now (by an iteration, a lookup or `lock()`).
    public final var isLocked: Bool { lockCount != 0 }

    // MARK: Locks

    /// Locks the container explicitly, as the seed's `lock`: until the matching `unlock()` every
    /// mutation is refused and reported. Counted: two `lock()`s need two `unlock()`s.
    public final func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        addHolder(
            LockHolder(id: 0, lockedBy: "lock()", site: .source(SourceSite(fileID: fileID, line: line))))
    }

    /// Releases one explicit `lock()`. Unlocking a container that holds no explicit lock is
    /// reported (`unlock_not_held`) and changes nothing.
    public final func unlock(fileID: StaticString = #fileID, line: UInt = #line) {
        guard let index = holders.lastIndex(where: { $0.id == 0 }) else {
            _ = LockOrder.reportRuntimeLock(
                RuntimeLockFinding(
                    kind: .unlockNotHeld,
                    message: "unlock not held: unlock() of \(displayName), which holds no explicit lock",
                    rule: "every unlock() of a container matches an earlier lock() of it",
                    operation: "unlock", locks: holders.map { snapshot(of: $0, path: nil) },
                    hint: "call unlock() once per lock(); iterations and lookups release their own locks",
                    site: SourceSite(fileID: fileID, line: line)))
            return
        }
        holders.remove(at: index)
        releaseCount()
    }

    /// Takes an iteration or lookup lock when checking applies; nil (nothing to release) when it
    /// does not. `site` nil means the caller has no source site (a `for`-`in` loop): a
    /// backtrace stands for it.
    @usableFromInline @inline(never)
    final func lockForIteration(_ lockedBy: StaticString, site: SourceSite?) -> IterationLock? {
        guard LockOrder.runtimeLockChecksApply() else { return nil }
        let id = Self.nextHolderID.wrappingAdd(1, ordering: .relaxed).newValue
        addHolder(
            LockHolder(
                id: id, lockedBy: lockedBy,
                site: site.map { .source($0) } ?? .backtrace(LockOrder.captureCallSite())))
        return IterationLock(container: self, id: id)
    }

    /// Releases the iteration or lookup lock `id`.
    final func releaseIterationLock(_ id: UInt64) {
        guard let index = holders.lastIndex(where: { $0.id == id }) else { return }
        holders.remove(at: index)
        releaseCount()
    }

    private func addHolder(_ holder: LockHolder) {
        holders.append(holder)
        lockCount += 1
        verificationReasons += 1
        ContainerLockChecks.lockedContainers.add(1, ordering: .relaxed)
    }

    private func releaseCount() {
        lockCount -= 1
        verificationReasons -= 1
        ContainerLockChecks.lockedContainers.subtract(1, ordering: .relaxed)
    }

    // MARK: Verification

    /// Verifies the locks before a mutation: true when it may go ahead. The fast path is one
    /// compare when the elements cannot hold checked containers.
    @inlinable @inline(__always)
    final func mayModify(_ operation: StaticString, fileID: StaticString, line: UInt) -> Bool {
        if _fastPath(verificationReasons == 0) { return true }
        return verifyLocks(operation, site: SourceSite(fileID: fileID, line: line), rule: .modification)
    }

    /// The slow half of `mayModify` (and of a dictionary's `[]` read): finds the locks held on
    /// this container and on the checked containers inside it, and reports them. Returns true
    /// when the operation may go ahead: nothing is locked, a switch turned the check off, or
    /// checking is off.
    @usableFromInline @inline(never)
    final func verifyLocks(_ operation: StaticString, site: SourceSite, rule: RefusalRule) -> Bool {
        // Cheapest first: a container of container-holding elements comes here on every
        // mutation, and nothing at all is locked most of the time.
        if lockCount == 0 && ContainerLockChecks.lockedContainers.load(ordering: .relaxed) == 0 {
            return true
        }
        if !verifiesLocks || ContainerLockChecks.skipsChecks { return true }
        guard LockOrder.runtimeLockChecksApply() else { return true }
        var found: [RuntimeLockSnapshot] = []
        var visited: Set<ObjectIdentifier> = []
        collectLocks(path: nil, into: &found, visited: &visited)
        guard let first = found.first else { return true }
        let what = "\(operation)"
        let finding = RuntimeLockFinding(
            kind: .containerLocked,
            message:
                "container locked: \(what) on \(displayName) while \(first.name == displayName ? "it" : first.name) "
                + "is locked by \(first.lockedBy)",
            rule: rule.text, operation: what, locks: found,
            hint: rule == .subscriptRead
                ? "read it with find(key) while it is locked, or after the lock ends"
                : "finish the iteration or lookup (or call unlock()) before the \(what); collect the changes "
                    + "and apply them after the loop",
            site: site)
        return !LockOrder.reportRuntimeLock(finding)
    }

    /// Appends this container's locks, then those of the checked containers inside it (when the
    /// element type holds any), each with its path from the container being verified (`path`
    /// nil for that container itself).
    final func collectLocks(
        path: String?, into found: inout [RuntimeLockSnapshot], visited: inout Set<ObjectIdentifier>
    ) {
        guard verifiesLocks, visited.insert(ObjectIdentifier(self)).inserted else { return }
        for holder in holders { found.append(snapshot(of: holder, path: path)) }
        if checksElements && ContainerLockChecks.lockedContainers.load(ordering: .relaxed) != 0 {
            collectElementLocks(path: path ?? name ?? typeName, into: &found, visited: &visited)
        }
    }

    /// Overridden by each container: visits the elements that hold checked containers.
    func collectElementLocks(
        path: String, into found: inout [RuntimeLockSnapshot], visited: inout Set<ObjectIdentifier>
    ) {}

    /// Collects the locks of the checked containers inside one element, `elementPath` being the
    /// element's path (`a[0]`, `table[key]`).
    final func collectLocks(
        inElement element: Any, elementPath: String, into found: inout [RuntimeLockSnapshot],
        visited: inout Set<ObjectIdentifier>
    ) {
        guard let holder = element as? any HoldsCheckedContainers else { return }
        for container in holder.checkedContainers {
            let isElement = (element as AnyObject) === container
            let path = isElement ? elementPath : "\(elementPath).\(container.name ?? container.typeName)"
            container.collectLocks(path: path, into: &found, visited: &visited)
        }
    }

    final func snapshot(of holder: LockHolder, path: String?) -> RuntimeLockSnapshot {
        let site: String
        switch holder.site {
        case .source(let source): site = "\(source)"
        case .backtrace(let backtrace): site = LockOrder.describeCallSite(backtrace)
        }
        let name = path.map { "\($0) (\(typeName))" } ?? displayName
        return RuntimeLockSnapshot(name: name, lockedBy: "\(holder.lockedBy)", site: site)
    }
}

/// Which rule a refused operation broke.
@usableFromInline
enum RefusalRule {
    case modification, subscriptRead

    var text: String {
        switch self {
        case .modification:
            "a locked container cannot be modified: an iteration, keys, values, a find-style lookup or lock() "
                + "locks it, and a container holding a locked one is locked too; it is left unchanged"
        case .subscriptRead:
            "a locked dictionary cannot be accessed through []: find-style lookups read it while it is locked"
        }
    }
}

/// One lock held on a container: an iteration's or a lookup's (`id` non-zero, released by its
/// `IterationLock`), or an explicit `lock()` (`id` 0).
struct LockHolder {
    enum Site {
        case source(SourceSite)
        case backtrace(Backtrace)
    }
    let id: UInt64
    let lockedBy: StaticString
    let site: Site
}

/// The lock an iteration or a lookup holds; released when the iteration is exhausted or the
/// iterator goes away, whichever comes first (copies of an iterator share it).
@usableFromInline
final class IterationLock {
    private let container: CheckedContainer
    private let id: UInt64
    private var isReleased = false

    init(container: CheckedContainer, id: UInt64) {
        self.container = container
        self.id = id
    }

    /// Releases the lock once; later calls do nothing.
    @usableFromInline
    func release() {
        if isReleased { return }
        isReleased = true
        container.releaseIterationLock(id)
    }

    deinit { release() }
}
