/// The checking epoch a lock operation read from `LockOrder.fastPathEpoch`, to pass to the
/// fast-path calls: they compare it with the thread's gate instead of loading it again.
@frozen
public struct FastPathEpoch: Sendable, Equatable {
    @usableFromInline let value: UInt64

    @inlinable
    init(value: UInt64) {
        self.value = value
    }
}
