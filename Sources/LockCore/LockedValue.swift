import LockOrderChecker

/// A value that can only be reached while its checked mutex is held, in the style of the
/// standard library's `Synchronization.Mutex` and swift-nio's `NIOLockedValueBox`.
///
/// The protected state is passed `inout` to the closure of `withLock`, so it cannot be touched
/// without the lock. The lock takes part in order checking like any `CheckedMutex`.
public final class LockedValue<Value>: @unchecked Sendable {
    @usableFromInline let mutex: CheckedMutex
    @usableFromInline var value: Value

    /// Protects `value` with a new mutex; the other parameters are those of `CheckedMutex.init`.
    public init(
        _ value: Value, name: String? = nil, class lockClass: LockClass = .creationSite,
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
        fileID: StaticString = #fileID, line: UInt = #line, _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try mutex.withLock(fileID: fileID, line: line) { () throws(Failure) -> Result in try body(&value) }
    }
}
