import LockOrderChecker

/// What the exclusive lock types share: creation by declared name, `lock`/`unlock`, and the
/// scoped `withLock` built on them.
///
/// `CheckedMutex`, `CheckedReentrantMutex`, `CheckedSpinLock` and `CheckedReentrantSpinLock`
/// conform; `CheckedReadWriteLock` has read and write sides instead.
public protocol CheckedLock: AnyObject, Sendable {
    /// Creates a lock. `name` is shown in reports (nil shows the class name); `lockClass` is
    /// what the order rules key it by; `options` are implicit-acquisition options such as
    /// `.safepoint`; `orderKey` is the instance-order key.
    init(
        _ name: String?, class lockClass: LockClass, options: [LockOption], orderKey: UInt64?,
        fileID: StaticString, line: UInt)

    /// The lock's identity for the checker: id, class and name.
    var identity: LockIdentity { get }

    /// Blocks (or spins) until the calling thread holds the lock; returns only with it held.
    /// Unavailable from async code (use `withLock`, or `lockFromAsync` knowingly).
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    func lock(fileID: StaticString, line: UInt)

    /// Releases one hold of the lock. Unavailable from async code, as `lock`.
    @available(*, noasync, message: "use withLock, whose body cannot await; or the FromAsync escapes")
    func unlock(fileID: StaticString, line: UInt)

    /// Takes the lock if it is free (or, for a reentrant lock, already held by the calling
    /// thread). Returns true only when the calling thread now holds it.
    func tryLock(fileID: StaticString, line: UInt) -> Bool
}

extension CheckedLock {
    /// Creates a lock of a class declared in the hierarchy, named after it.
    public init(
        declared name: String, options: [LockOption] = [], orderKey: UInt64? = nil,
        fileID: StaticString = #fileID, line: UInt = #line
    ) {
        self.init(
            name, class: .declared(name), options: options, orderKey: orderKey, fileID: fileID, line: line)
    }

    /// Runs `body` holding the lock. The lock is released on every exit, including a throw
    /// from `body` (rethrown with its type), and is never released if it was not taken:
    /// `lock` returns only with the lock held.
    @inlinable
    public func withLock<Result, Failure: Error>(
        fileID: StaticString = #fileID, line: UInt = #line, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        lock(fileID: fileID, line: line)
        defer { unlock(fileID: fileID, line: line) }
        return try body()
    }
}
