import LockOrderChecker
import LockOrderContainers

/// Runs `body` in a checking session (learned order off: containers are not in it) and
/// returns the distinct violations.
func checkContainers(_ body: () throws -> Void) rethrows -> [Violation] {
    try LockOrder.withChecking(hierarchy: .julia, learnsOrder: false, printsReports: false, body)
}

/// The `#fileID` of a test file, as reports show sites (`Module/File.swift`).
func siteFile(_ fileID: String = #fileID) -> String { fileID }

/// The line of a report's text that starts with `prefix`, nil when there is none.
func reportLine(_ violation: Violation, startingWith prefix: String) -> String? {
    violation.text.split(separator: "\n").map(String.init).first { $0.hasPrefix(prefix) }
}

/// A struct that holds a checked array: a dictionary of these verifies the arrays inside.
struct Inventory: HoldsCheckedContainers {
    let items: CheckedArray<Int>
    var checkedContainers: [CheckedContainer] { [items] }
}

/// The same struct with the seed's `[skip_field_lock_check]`: its field is not verified.
struct UncheckedInventory: HoldsCheckedContainers {
    let items: CheckedArray<Int>
    var checkedContainers: [CheckedContainer] { [items] }
    static var skipsFieldLockCheck: Bool { true }
}
