import LockCore
import LockOrderChecker
import Synchronization

/// Source sites noted by tests right where a lock is created or taken, so expectations name
/// the exact `File.swift:line` the checker must report: `sites.at("T1 holds A") { a.lock() }`
/// runs `a.lock()` and records the line it is written on (keep the closure on that line).
final class SiteLog: Sendable {
    private let sites = Mutex<[String: String]>([:])

    /// Runs `body`, written on the caller's line, and records that `#fileID:#line` under `key`.
    func at<Value>(
        _ key: String, fileID: StaticString = #fileID, line: UInt = #line, _ body: () throws -> Value
    ) rethrows -> Value {
        sites.withLock { $0[key] = "\(fileID):\(line)" }
        return try body()
    }

    /// The site recorded under `key`, or a placeholder that matches nothing.
    subscript(_ key: String) -> String {
        sites.withLock { $0[key] } ?? "<\(key) not marked>"
    }

    /// The class name the checker gives an undeclared lock named `name` created at the site
    /// marked `key` (its creation-site class): `name (File.swift:line)`.
    func className(_ name: String, createdAt key: String) -> String {
        "\(name) (\(self[key]))"
    }
}

/// A value one thread sets and the test reads after joining it.
final class ThreadResult<Value: Sendable>: Sendable {
    private let storage: Mutex<Value?> = Mutex(nil)

    /// Stores the value.
    func set(_ value: Value) { storage.withLock { $0 = value } }

    /// The stored value, nil when none was stored.
    var value: Value? { storage.withLock { $0 } }
}

/// The (from, to) class names of a reported cycle, in report order.
func cyclePairs(_ violation: Violation) -> [[String]] {
    (violation.cycle ?? []).map { [$0.from, $0.to] }
}

/// The learned edge from `from` to `to` in a learned graph, if any.
func learnedEdge(_ graph: LearnedOrderSnapshot, from: String, to: String) -> LearnedOrderSnapshot.OrderEdge? {
    graph.edges.first { $0.from == from && $0.to == to }
}

/// Takes `first`, then `second`, and releases both: one "hold X, take Y" step of the lockdep
/// alphabet. Never inlined, so a backtrace taken inside names it.
@inline(never)
func takeInOrder(_ first: CheckedMutex, _ second: CheckedMutex) {
    first.lock()
    second.lock()
    second.unlock()
    first.unlock()
}
