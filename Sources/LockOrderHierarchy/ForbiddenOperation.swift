/// An operation that must not happen while holding the locks a selector
/// picks out.
///
/// In JSON: `{"operation": "io", "whileHolding": {"listedBefore": "jl_uv_mutex"}, "reason": "..."}`;
/// `reason` may be left out (it is then empty).
public struct ForbiddenOperation: Sendable, Hashable, CustomStringConvertible {
    /// The forbidden operation.
    public let operation: ThreadOperation
    /// The held locks during which it is forbidden.
    public let whileHolding: LockSelector
    /// Why the operation is forbidden, for reports.
    public let reason: String

    /// Forbids `operation` while holding the locks `whileHolding` selects.
    public init(operation: ThreadOperation, whileHolding: LockSelector, reason: String = "") {
        self.operation = operation
        self.whileHolding = whileHolding
        self.reason = reason
    }

    /// The rule in words.
    public var description: String {
        let rule = "no \(operation.rawValue) while holding \(whileHolding.description)"
        return reason.isEmpty ? rule : "\(rule): \(reason)"
    }
}
