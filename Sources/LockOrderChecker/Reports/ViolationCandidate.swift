/// A violation found by a rule, before it is deduplicated, given a backtrace and reported.
///
/// Rules return findings while holding the checker's lock (`init(_:edgeBacktraces:)` words
/// them); the reporter turns a new candidate into a `Violation` outside it.
struct ViolationCandidate {
    var kind: ViolationKind
    var message: String
    var lock: LockSnapshot?
    var held: [LockSnapshot]
    var rule: String
    var exception: String? = nil
    var missingGuard: String? = nil
    var operation: String? = nil
    var cycle: [PendingCycleEdge]? = nil
    var runtimeLocks: [RuntimeLockSnapshot]? = nil
    var hint: String
    /// The classes involved, for deduplication (the acquired one first).
    var classIDs: [UInt32]
    /// The offending call's site, `File.swift:line`.
    var site: String
    /// Whether the process must stop after the report whatever the mode (a certain
    /// self-deadlock: going on would hang).
    var abortsAlways: Bool = false
    /// The stack to show, when it is not the reporting thread's own (the watchdog reports a
    /// waiting thread's stack from when it began to wait).
    var backtrace: Backtrace? = nil
    /// The thread to name, when it is not the reporting thread (the watchdog's reports).
    var thread: String? = nil
    /// What the rule decided, for tests that assert decisions rather than words (nil for the
    /// reports whose rules still word their own findings: the watchdog's and the runtime locks').
    var finding: Finding? = nil

    /// What makes two occurrences the same violation: kind, lock classes, call site and, for a
    /// forbidden operation, which operation (one helper may report several kinds of operation
    /// from a single call site).
    var deduplicationKey: DeduplicationKey {
        DeduplicationKey(kind: kind, classIDs: classIDs, site: site, operation: operation)
    }
}

/// Identity of a distinct violation.
struct DeduplicationKey: Hashable {
    let kind: ViolationKind
    let classIDs: [UInt32]
    let site: String
    let operation: String?
}

/// A cycle edge whose stored backtrace is still unnamed.
struct PendingCycleEdge {
    var edge: CycleEdge
    var backtrace: Backtrace?
}
