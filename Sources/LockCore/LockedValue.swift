import LockOrderChecker

/// A value that can only be reached while its checked mutex is held, in the style of the
/// standard library's `Synchronization.Mutex` and swift-nio's `NIOLockedValueBox`.
///
/// The protected state is passed `inout` to the closure of `withLock`, so it cannot be touched
/// without the lock. The lock takes part in order checking like any `CheckedMutex`.
///
/// Sendable for any `Value`, soundly, as `Synchronization.Mutex` is: the value comes in
/// `sending` (the caller keeps no reference to it), is lent `inout sending` to one closure at a
/// time, and a result goes out `sending` (it shares nothing with the protected value).
public final class LockedValue<Value>: @unchecked Sendable {
    @usableFromInline let mutex: CheckedMutex
    @usableFromInline var value: Value

    /// Protects `value` with a new mutex; the other parameters are those of `CheckedMutex.init`.
    public init(
        _ value: sending Value, name: String? = nil, class lockClass: LockClass = .creationSite,
        fileID: StaticString = #fileID, line: UInt = #line
    ) {
        self.value = value
        mutex = CheckedMutex(name, class: lockClass, fileID: fileID, line: line)
    }

    /// The mutex's identity for the checker.
    public var identity: LockIdentity { mutex.identity }

    /// Runs `body` with the lock held and the value passed `inout`. The lock is released on
    /// every exit, including a throw from `body` (rethrown with its type).
    @inlinable
    public func withLock<Result, Failure: Error>(
        fileID: StaticString = #fileID, line: UInt = #line,
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        mutex.lock(fileID: fileID, line: line)
        defer { mutex.unlock(fileID: fileID, line: line) }
        return try body(&value)
    }

    /// Runs `body` with the lock held and the value passed `inout` if the lock is free now;
    /// nil, without running `body`, otherwise. Releases on every exit, including a throw.
    @inlinable
    public func withLockIfAvailable<Result, Failure: Error>(
        fileID: StaticString = #fileID, line: UInt = #line,
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result? {
        guard mutex.tryLock(fileID: fileID, line: line) else { return nil }
        defer { mutex.unlock(fileID: fileID, line: line) }
        return try body(&value)
    }

    /// Reports `ownership_assertion` unless the calling thread holds the lock (one branch with
    /// checking off).
    @inlinable @inline(__always)
    public func assertHeld(fileID: StaticString = #fileID, line: UInt = #line) {
        mutex.assertHeld(fileID: fileID, line: line)
    }

    /// Reports `ownership_assertion` when the calling thread holds the lock.
    @inlinable @inline(__always)
    public func assertNotHeld(fileID: StaticString = #fileID, line: UInt = #line) {
        mutex.assertNotHeld(fileID: fileID, line: line)
    }
}
