import LockCore
import Synchronization
import Testing

/// The lock types are named Checked* so that a file importing both Synchronization and LockCore
/// can use the standard library's `Mutex<Value>` next to `CheckedMutex`: this file compiling
/// is the test.
@Suite("Names: Synchronization and LockCore together")
struct NameClashTests {
    @Test("Mutex<Int> (Synchronization) and CheckedMutex (LockCore) in one scope")
    func bothMutexesInOneScope() {
        let standard = Mutex<Int>(0)
        let checked = CheckedMutex("checked")
        let value = LockedValue(0, name: "boxed")
        for _ in 0..<3 {
            checked.withLock {
                standard.withLock { $0 += 1 }
                value.withLock { $0 += 2 }
            }
        }
        #expect(standard.withLock { $0 } == 3)
        #expect(value.withLock { $0 } == 6)
    }
}
