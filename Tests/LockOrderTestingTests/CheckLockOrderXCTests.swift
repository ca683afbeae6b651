import LockCore
import LockOrderChecker
import LockOrderTesting
import XCTest

/// The XCTest helper: what it returns and that it fails nothing on a clean or expected run.
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

/// The XCTest helper's failures. Corelibs XCTest has no `XCTExpectFailure`, so this case
/// overrides `recordFailure` and, while `capturing` is set, keeps the failures instead of
/// recording them: a test here passes only when the helper failed exactly as it should.
final class CheckLockOrderXCTestFailureTests: XCTestCase {
    private var capturing = false
    private var captured: [(description: String, line: Int)] = []

    override func recordFailure(
        withDescription description: String, inFile filePath: String, atLine lineNumber: Int, expected: Bool
    ) {
        if capturing {
            captured.append((description, lineNumber))
        } else {
            super.recordFailure(
                withDescription: description, inFile: filePath, atLine: lineNumber, expected: expected)
        }
    }

    private func capture(_ body: () -> Void) -> [(description: String, line: Int)] {
        capturing = true
        captured = []
        body()
        capturing = false
        return captured
    }

    func testUnexpectedCycleFailsOnceAtTheCallNamingTheSite() {
        var violations: [Violation] = []
        let callLine = #line + 1
        let failures = capture { violations = checkLockOrder { abba("XCTFailing") } }
        XCTAssertEqual(violations.map(\.kind), [.orderCycle])
        XCTAssertEqual(failures.count, 1)
        XCTAssertEqual(failures.first?.line, callLine)
        let text = failures.first?.description ?? ""
        XCTAssertTrue(
            text.contains("\(violations.first?.site ?? "?"): lock-order violation (order_cycle): "), text)
        XCTAssertTrue(text.contains("closes the cycle"), text)
    }

    func testExpectedKindThatNeverHappensFails() {
        let failures = capture {
            checkLockOrder(expecting: [.orderCycle]) {
                nest(CheckedMutex("XCTMissing.A"), CheckedMutex("XCTMissing.B", line: 2))
            }
        }
        XCTAssertEqual(
            failures.map(\.description),
            ["failed - expected a lock-order violation of kind order_cycle, none was reported"])
    }
}
