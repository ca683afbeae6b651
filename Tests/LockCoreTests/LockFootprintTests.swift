import CMallocSupport
import LockCore
import Testing

/// What a lock costs in memory: the budget is 64 bytes per lock beyond its pthread object.
@Suite("Lock footprint")
struct LockFootprintTests {
    @Test("a lock's identity is 16 bytes")
    func identityIsSixteenBytes() {
        #expect(MemoryLayout<LockIdentity>.size == 16)
    }

    @Test("a CheckedMutex object fits a 48-byte malloc chunk (40 usable bytes) beside its pthread object")
    func mutexObjectFitsFortyBytes() {
        let mutex = CheckedMutex("footprint")
        let usable = malloc_usable_size(Unmanaged.passUnretained(mutex).toOpaque())
        #expect(usable == 40)
        withExtendedLifetime(mutex) {}
    }
}
