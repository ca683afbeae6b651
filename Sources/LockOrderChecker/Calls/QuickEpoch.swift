/// The checking epoch a lock operation read from `LockOrderChecker.quickEpoch`, to pass to the
/// quick calls: they compare it with the thread's gate instead of loading it again.
@frozen
public struct QuickEpoch: Sendable, Equatable {
    @usableFromInline let value: UInt64

    @inlinable
    init(value: UInt64) {
        self.value = value
    }
}
