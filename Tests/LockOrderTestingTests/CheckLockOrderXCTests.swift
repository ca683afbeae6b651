import LockCore
import LockOrderChecker
import LockOrderTesting
import XCTest

/// The XCTest helper: what it returns and that it fails nothing on a clean or expected run.
/// (Corelibs XCTest has no `XCTExpectFailure`, so the failing path is covered by the Swift
/// Testing tests of the same rules.)
final class CheckLockOrderXCTests: XCTestCase {
    func testCleanBodyReportsNothing() {
        let a = CheckedMutex("XCTClean.A")
        let b = CheckedMutex("XCTClean.B")
        let violations = checkLockOrder {
            nest(a, b)
            nest(a, b)
        }
        XCTAssertEqual(violations, [])
    }

    func testExpectedCycleIsReturnedNotFailed() {
        let violations = checkLockOrder(expecting: [.orderCycle]) { abba("XCTExpected") }
        XCTAssertEqual(violations.map(\.kind), [.orderCycle])
    }
}
