import LockOrderChecker

/// A drop-in for swift-nio's `NIOLock` whose lock is checked: the same shape (a copyable,
/// Sendable struct with `init()`, `lock()`, `unlock()`, `withLock`, `withLockVoid`), so that a
/// code base switches in debug builds with one typealias (docs/locks.md). LockCore does not
/// depend on swift-nio; the names are only mirrored.
///
/// Copies share one lock, as `NIOLock`'s do. Each lock is classed at the place it is created
/// (the `init` call's `#fileID:#line`), not inside this file: two NIOLock-shaped locks made at
/// two places are two classes for the order rules.
public struct CheckedNIOLock: Sendable {
    @usableFromInline let mutex: CheckedMutex

    /// Creates a lock classed at the caller's line.
    public init(
        _ name: String? = nil, class lockClass: LockClass = .creationSite, fileID: StaticString = #fileID,
        line: UInt = #line
    ) {
        mutex = CheckedMutex(name, class: lockClass, fileID: fileID, line: line)
    }

    /// The lock's identity for the checker.
    public var identity: LockIdentity { mutex.identity }

    /// Blocks until the calling thread holds the lock.
    @inlinable
    public func lock(fileID: StaticString = #fileID, line: UInt = #line) {
        mutex.lock(fileID: fileID, line: line)
    }

    /// Releases the lock (with checking on, a release by a thread that does not hold it is
    /// reported and not performed).
    @inlinable
    public func unlock(fileID: StaticString = #fileID, line: UInt = #line) {
        mutex.unlock(fileID: fileID, line: line)
    }

    /// Runs `body` holding the lock; releases on every exit, including a throw.
    @inlinable
    public func withLock<T>(fileID: StaticString = #fileID, line: UInt = #line, _ body: () throws -> T)
        rethrows
        -> T
    {
        mutex.lock(fileID: fileID, line: line)
        defer { mutex.unlock(fileID: fileID, line: line) }
        return try body()
    }

    /// Runs `body` holding the lock; releases on every exit, including a throw.
    @inlinable
    public func withLockVoid(fileID: StaticString = #fileID, line: UInt = #line, _ body: () throws -> Void)
        rethrows
    {
        try withLock(fileID: fileID, line: line, body)
    }

    /// Reports `ownership_assertion` unless the calling thread holds the lock.
    @inlinable @inline(__always)
    public func assertHeld(fileID: StaticString = #fileID, line: UInt = #line) {
        mutex.assertHeld(fileID: fileID, line: line)
    }

    /// Reports `ownership_assertion` when the calling thread holds the lock.
    @inlinable @inline(__always)
    public func assertNotHeld(fileID: StaticString = #fileID, line: UInt = #line) {
        mutex.assertNotHeld(fileID: fileID, line: line)
    }

    /// Runs `body` holding the lock if it is free now; nil, without running `body`, otherwise.
    @inlinable
    public func withLockIfAvailable<T>(
        fileID: StaticString = #fileID, line: UInt = #line, _ body: () throws -> T
    ) rethrows -> T? {
        try mutex.withLockIfAvailable(fileID: fileID, line: line) { () throws -> T in try body() }
    }
}

/// A drop-in for swift-nio's `NIOLockedValueBox` whose lock is checked: `init(_:)`,
/// `withLockedValue`, and the `unsafe` view (`lock`, `unlock`,
/// `withValueAssumingLockIsAcquired`). Sendable when `Value` is, as `NIOLockedValueBox`.
/// Copies share one box. Classed at the place it is created.
public struct CheckedNIOLockedValueBox<Value> {
    @usableFromInline let storage: CheckedNIOBoxStorage<Value>

    /// Protects `value` with a new lock classed at the caller's line.
    public init(
        _ value: Value, name: String? = nil, class lockClass: LockClass = .creationSite,
        fileID: StaticString = #fileID, line: UInt = #line
    ) {
        storage = CheckedNIOBoxStorage(
            value, mutex: CheckedMutex(name, class: lockClass, fileID: fileID, line: line))
    }

    /// The lock's identity for the checker.
    public var identity: LockIdentity { storage.mutex.identity }

    /// Runs `mutate` with the lock held and the value passed `inout`; releases on every exit,
    /// including a throw.
    @inlinable
    public func withLockedValue<T>(
        fileID: StaticString = #fileID, line: UInt = #line, _ mutate: (inout Value) throws -> T
    ) rethrows -> T {
        storage.mutex.lock(fileID: fileID, line: line)
        defer { storage.mutex.unlock(fileID: fileID, line: line) }
        return try mutate(&storage.value)
    }

    /// Runs `mutate` with the lock held if it is free now; nil, without running it, otherwise.
    @inlinable
    public func withLockedValueIfAvailable<T>(
        fileID: StaticString = #fileID, line: UInt = #line, _ mutate: (inout Value) throws -> T
    ) rethrows -> T? {
        guard storage.mutex.tryLock(fileID: fileID, line: line) else { return nil }
        defer { storage.mutex.unlock(fileID: fileID, line: line) }
        return try mutate(&storage.value)
    }

    /// Reports `ownership_assertion` unless the calling thread holds the lock.
    @inlinable @inline(__always)
    public func assertHeld(fileID: StaticString = #fileID, line: UInt = #line) {
        storage.mutex.assertHeld(fileID: fileID, line: line)
    }

    /// Reports `ownership_assertion` when the calling thread holds the lock.
    @inlinable @inline(__always)
    public func assertNotHeld(fileID: StaticString = #fileID, line: UInt = #line) {
        storage.mutex.assertNotHeld(fileID: fileID, line: line)
    }

    /// The lock and the value without the scoped guarantee, as `NIOLockedValueBox.unsafe`.
    public var unsafe: Unsafe { Unsafe(storage: storage) }

    /// The lock and the value without the scoped guarantee: every acquisition is still checked.
    public struct Unsafe {
        @usableFromInline let storage: CheckedNIOBoxStorage<Value>

        @usableFromInline
        init(storage: CheckedNIOBoxStorage<Value>) { self.storage = storage }

        /// Blocks until the calling thread holds the lock.
        @inlinable
        public func lock(fileID: StaticString = #fileID, line: UInt = #line) {
            storage.mutex.lock(fileID: fileID, line: line)
        }

        /// Releases the lock.
        @inlinable
        public func unlock(fileID: StaticString = #fileID, line: UInt = #line) {
            storage.mutex.unlock(fileID: fileID, line: line)
        }

        /// Runs `mutate` on the value, which the caller says it locked; with checking on, a
        /// caller that does not hold the lock is reported (`ownership_assertion`).
        @inlinable
        public func withValueAssumingLockIsAcquired<Result>(
            fileID: StaticString = #fileID, line: UInt = #line,
            _ mutate: (_ value: inout Value) throws -> Result
        ) rethrows -> Result {
            storage.mutex.assertHeld(fileID: fileID, line: line)
            return try mutate(&storage.value)
        }
    }
}

extension CheckedNIOLockedValueBox: @unchecked Sendable where Value: Sendable {}
extension CheckedNIOLockedValueBox.Unsafe: @unchecked Sendable where Value: Sendable {}

/// The storage of a `CheckedNIOLockedValueBox`: the value and its lock, shared by copies.
@usableFromInline
final class CheckedNIOBoxStorage<Value>: @unchecked Sendable {
    @usableFromInline let mutex: CheckedMutex
    @usableFromInline var value: Value

    @usableFromInline
    init(_ value: Value, mutex: CheckedMutex) {
        self.value = value
        self.mutex = mutex
    }
}
