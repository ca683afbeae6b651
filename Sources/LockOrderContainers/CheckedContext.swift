import LockOrderChecker

/// State that can be restarted (thrown away and built again), which host code locks while it
/// holds on to data inside it: the Swift form of Daslang's `Context` locks (docs/containers.md).
///
/// `lock()`/`unlock()` are counted. A locked context cannot be restarted: `restart()` reports
/// `context_locked` and leaves the state intact (LOCKORDER_CHECK=abort stops the process);
/// it is refused even with checking off, since what the lock protects is the context's meaning,
/// not a check. `tryRestartAndLock()` restarts the context if it is not locked, then locks it in
/// either case. Collection (`collect`) is allowed while locked. Containers made by the context
/// (`makeArray`, `makeDictionary`) follow its verification switch. Not `Sendable`: one thread
/// uses it at a time.
public final class CheckedContext<State> {
    /// The name reports use.
    public let name: String
    /// The context's data (its heap).
    public var state: State
    private let makeInitialState: () -> State
    private var lockSites: [SourceSite] = []
    private let verification: ContextVerification
    /// How many times the context was restarted.
    public private(set) var restartCount = 0

    /// Creates a context whose state `makeInitialState` builds, now and at each restart.
    /// `skipsLockChecks` is the seed's `options skip_lock_checks`: containers made by this context
    /// are not verified.
    public init(name: String, skipsLockChecks: Bool = false, _ makeInitialState: @escaping () -> State) {
        self.name = name
        self.makeInitialState = makeInitialState
        self.state = makeInitialState()
        self.verification = ContextVerification(verifiesLocks: !skipsLockChecks)
    }

    /// Whether the containers made by this context verify their locks (the seed's
    /// `set_verify_context_locks`); turning it changes every such container at once.
    public var verifiesContainerLocks: Bool {
        get { verification.verifiesLocks }
        set { verification.verifiesLocks = newValue }
    }

    /// Whether the context is locked.
    public var isLocked: Bool { !lockSites.isEmpty }

    /// How many locks are held on the context.
    public var lockCount: Int { lockSites.count }

    /// Locks the context (counted): until the matching `unlock()`, it cannot be restarted. The
    /// seed's reason: data inside it is being used from outside.
    public func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        lockSites.append(SourceSite(fileID: fileID, line: line))
    }

    /// Releases one `lock()`. Unlocking a context that is not locked is reported
    /// (`unlock_not_held`) and changes nothing.
    public func unlock(fileID: StaticString = #fileID, line: UInt = #line) {
        if lockSites.popLast() != nil { return }
        _ = LockOrder.reportRuntimeLock(
            RuntimeLockFinding(
                kind: .unlockNotHeld,
                message: "unlock not held: unlock() of context \(name), which is not locked",
                rule: "every unlock() of a context matches an earlier lock() of it", operation: "unlock",
                locks: [], hint: "call unlock() once per lock()", site: SourceSite(fileID: fileID, line: line)
            ))
    }

    /// Restarts the context: its state is built again. Returns false, leaving the state intact,
    /// when the context is locked (reported as `context_locked` when checking is on).
    @discardableResult
    public func restart(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        guard lockSites.isEmpty else {
            _ = LockOrder.reportRuntimeLock(
                RuntimeLockFinding(
                    kind: .contextLocked,
                    message: "context locked: restart of \(name) while it is locked by lock()",
                    rule: "a locked context cannot be restarted: data inside it is in use; it is left intact",
                    operation: "restart",
                    locks: lockSites.map {
                        RuntimeLockSnapshot(name: "context \(name)", lockedBy: "lock()", site: "\($0)")
                    },
                    hint: "unlock() the context before restarting it, or use tryRestartAndLock()",
                    site: SourceSite(fileID: fileID, line: line)))
            return false
        }
        state = makeInitialState()
        restartCount += 1
        return true
    }

    /// Restarts the context if it is not locked, then locks it regardless (the seed's
    /// `tryRestartAndLock`). Returns whether it restarted. Never reports: a locked context is an
    /// expected answer here.
    @discardableResult
    public func tryRestartAndLock(fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        let restarts = lockSites.isEmpty
        if restarts {
            state = makeInitialState()
            restartCount += 1
        }
        lockSites.append(SourceSite(fileID: fileID, line: line))
        return restarts
    }

    /// Collects the context's garbage: `body` tidies the state in place (drops what is no longer
    /// reachable, compacts caches). Safe, and allowed, while the context is locked: collection
    /// keeps what is in use.
    public func collect(_ body: (inout State) throws -> Void) rethrows {
        try body(&state)
    }

    /// An array made in this context: it follows the context's verification switch.
    public func makeArray<Element>(_ elements: [Element] = [], name: String? = nil) -> CheckedArray<Element> {
        CheckedArray(elements, name: name, context: verification)
    }

    /// A dictionary made in this context: it follows the context's verification switch.
    public func makeDictionary<Key: Hashable, Value>(_ entries: [Key: Value] = [:], name: String? = nil)
        -> CheckedDictionary<Key, Value>
    {
        CheckedDictionary(entries, name: name, context: verification)
    }
}
