/// What `LockOrder.willAcquireOnFastPath` prepared (the epoch it ran in and the slot of the
/// held entry it wrote), for `didAcquireOnFastPath` to count once the raw lock is held.
@frozen
public struct FastPathAcquisition: Sendable {
    @usableFromInline let epoch: UInt64
    @usableFromInline let depth: UInt32

    @inlinable
    init(epoch: UInt64, depth: UInt32) {
        self.epoch = epoch
        self.depth = depth
    }
}
