import LockOrderChecker

/// A drop-in for the standard library's `Synchronization.Mutex` whose lock is checked: the same
/// shape (`~Copyable`, `init(_:)`, `withLock`, `withLockIfAvailable`, `sending` in and out), so
/// that a code base switches in debug builds with one typealias (docs/locks.md):
///
/// ```swift
/// #if DEBUG
///     import LockCore
///     typealias Mutex<Value: ~Copyable> = CheckedValueMutex<Value>
/// #else
///     import Synchronization
/// #endif
/// ```
///
/// Each mutex is classed at the place it is created (the `init` call's `#fileID:#line`), like
/// `CheckedMutex`. Unlike `Synchronization.Mutex`, whose relock on the owning thread traps, a
/// relock is reported as `self_deadlock` first (with checking on). The value lives in a heap
/// cell next to an out-of-line pthread mutex, so moving the struct moves no lock.
public struct CheckedValueMutex<Value: ~Copyable>: ~Copyable, @unchecked Sendable {
    @usableFromInline let cell: CheckedValueCell<Value>

    /// Protects `initialValue` with a new mutex, classed at the caller's line.
    public init(
        _ initialValue: consuming sending Value, name: String? = nil,
        class lockClass: LockClass = .creationSite, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        cell = CheckedValueCell(
            initialValue, mutex: CheckedMutex(name, class: lockClass, fileID: fileID, line: line))
    }

    /// The mutex's identity for the checker.
    public var identity: LockIdentity { cell.mutex.identity }

    /// Runs `body` with the lock held and the value passed `inout`. Released on every exit,
    /// including a throw from `body` (rethrown with its type).
    @inlinable
    public borrowing func withLock<Result: ~Copyable, Failure: Error>(
        fileID: StaticString = #fileID, line: UInt = #line,
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        cell.mutex.lock(fileID: fileID, line: line)
        defer { cell.mutex.unlock(fileID: fileID, line: line) }
        return try body(&cell.value)
    }

    /// Runs `body` with the lock held if it is free now; nil, without running `body`, when
    /// another thread holds it. A relock by the owning thread is a failed trylock (nil), as
    /// it is for a pthread mutex.
    @inlinable
    public borrowing func withLockIfAvailable<Result: ~Copyable, Failure: Error>(
        fileID: StaticString = #fileID, line: UInt = #line,
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result? {
        guard cell.mutex.tryLock(fileID: fileID, line: line) else { return nil }
        defer { cell.mutex.unlock(fileID: fileID, line: line) }
        return .some(try body(&cell.value))
    }

    /// Reports `ownership_assertion` unless the calling thread holds the lock.
    @inlinable @inline(__always)
    public borrowing func assertHeld(fileID: StaticString = #fileID, line: UInt = #line) {
        cell.mutex.assertHeld(fileID: fileID, line: line)
    }

    /// Reports `ownership_assertion` when the calling thread holds the lock.
    @inlinable @inline(__always)
    public borrowing func assertNotHeld(fileID: StaticString = #fileID, line: UInt = #line) {
        cell.mutex.assertNotHeld(fileID: fileID, line: line)
    }
}

/// The storage of a `CheckedValueMutex`: the value and its lock, at a stable heap address.
@usableFromInline
final class CheckedValueCell<Value: ~Copyable>: @unchecked Sendable {
    @usableFromInline let mutex: CheckedMutex
    @usableFromInline var value: Value

    @usableFromInline
    init(_ value: consuming Value, mutex: CheckedMutex) {
        self.value = value
        self.mutex = mutex
    }
}
