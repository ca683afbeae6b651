#if canImport(XCTest)
    import LockOrderChecker
    import XCTest

    extension XCTestCase {
        /// The XCTest form of `.lockOrderChecked`: runs `body` in a checking session and fails
        /// the test once per violation it produces, except the kinds in `expecting`, which must
        /// each be produced at least once. The failure names the offending site
        /// (`File.swift:line`); XCTest records it at this call.
        ///
        /// Sessions are process-wide and serialized (see `LockOrder.withChecking`): run
        /// such tests serially (`swift test --no-parallel`) or in one test class. Unexpected
        /// violations are also written to `LOCKORDER_REPORT_FILE` when it is set.
        ///
        /// - Returns: every violation `body` produced, expected or not.
        @discardableResult
        public func checkLockOrder(
            hierarchy: LockHierarchy = .julia, expecting: Set<ViolationKind> = [],
            file: StaticString = #filePath,
            line: UInt = #line, _ body: () throws -> Void
        ) rethrows -> [Violation] {
            let violations = try LockOrder.withChecking(hierarchy: hierarchy, learnsOrder: true, body)
            let unexpected = violations.filter { !expecting.contains($0.kind) }
            for violation in unexpected {
                XCTFail("\(violation.site): \(IssueText.describe(violation))", file: file, line: line)
            }
            // The unexpected ones go to LOCKORDER_REPORT_FILE too (the learned order of a
            // `withChecking` block is not kept: only the trait keeps it for the graph file).
            LockOrder.keepForOutputFiles(learned: nil, violations: unexpected)
            let seen = Set(violations.map(\.kind))
            for kind in expecting.subtracting(seen).sorted(by: { $0.rawValue < $1.rawValue }) {
                XCTFail(
                    "expected a lock-order violation of kind \(kind.rawValue), none was reported", file: file,
                    line: line)
            }
            return violations
        }
    }
#endif
