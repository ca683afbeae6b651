/// A lock that is acquired implicitly by every lock operation carrying an
/// option: Julia's `JL_LOCK`/`JL_UNLOCK` (option ``LockOption/safepoint``)
/// take `safepoint_lock`.
///
/// In JSON: `{"option": "safepoint", "lock": "safepoint_lock"}`.
public struct ImplicitAcquisition: Sendable, Hashable, CustomStringConvertible {
    /// The option that brings the implicit acquisition.
    public let option: LockOption
    /// The name of the lock taken implicitly; a declared lock.
    public let lock: String

    /// Declares that locks with `option` also acquire `lock`.
    public init(option: LockOption, lock: String) {
        self.option = option
        self.lock = lock
    }

    /// The implicit acquisition in words.
    public var description: String {
        "\(option.rawValue) operations implicitly acquire \(lock)"
    }
}
