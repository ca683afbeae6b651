/// One distinct violation, as printed on stderr, written as a JSON line and returned to tests.
public struct Violation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Which rule was broken.
    public let kind: ViolationKind
    /// The headline without the `lockorder: ` prefix, e.g. `level inversion: acquiring X (level
    /// 5) while holding Y (level 3)`.
    public let message: String
    /// The thread that broke the rule.
    public let thread: String
    /// The source site of the offending call (`File.swift:line`).
    public let site: String
    /// The lock being acquired, released or destroyed (nil for `held_at_exit` and
    /// `forbidden_operation`).
    public let lock: LockSnapshot?
    /// Every lock the thread held at that moment, most recent first.
    public let held: [LockSnapshot]
    /// The rule in words.
    public let rule: String
    /// The exception that would have allowed the acquisition and why it did not apply.
    public let exception: String?
    /// The guard lock whose absence made a guarded same-level acquisition a violation.
    public let missingGuard: String?
    /// The forbidden operation, for `forbidden_operation`.
    public let operation: String?
    /// The cycle, for `order_cycle`: every edge with where it was first seen.
    public let cycle: [CycleEdge]?
    /// A one-line suggestion for the fix.
    public let hint: String
    /// The runtime locks that refused the operation, for `container_locked` and
    /// `context_locked` (absent from other reports).
    public var runtimeLocks: [RuntimeLockSnapshot]? = nil
    /// The demangled backtrace of the offending call, the user's frame first.
    public var frames: [Frame]
    /// How many times this violation happened (the first included).
    public var count: Int
    /// The violation's number among the distinct violations of this process (1, 2, ...).
    public var id: Int
    /// The thread that created the reporting thread, as reports name threads, when lockorder's
    /// `pthread_create` recorded it (nil for the main thread, a thread made while checking was
    /// off, and reports about other threads).
    public var createdBy: String? = nil
    /// The creating thread's stack at that `pthread_create`, the call that made the thread first.
    public var creationFrames: [Frame]? = nil

    /// For an order cycle: the deadlock it allows, one thread a row (computed from `cycle` and
    /// `thread`; nil for other reports).
    public var deadlock: [DeadlockRow]? {
        guard kind == .orderCycle, let cycle else { return nil }
        return FindingText.deadlockRows(thread: thread, cycle: cycle)
    }

    /// The report as a person reads it on stderr (several lines, ending with a newline).
    public var text: String { ViolationText.format(self) }

    /// The violation in one paragraph (kind, locks, sites), for a failed test's message:
    /// `#expect(violations.isEmpty, "\(violations)")` prints this; `text` is the full report.
    public var description: String {
        var parts = ["\(kind.rawValue): \(message)", "at \(site) on \(thread)"]
        if !held.isEmpty {
            parts.append(
                "holding " + held.map { "\($0.name) (acquired at \($0.site ?? "?"))" }.joined(separator: ", ")
            )
        }
        if let cycle, !cycle.isEmpty {
            parts.append(
                "cycle "
                    + cycle.map { "\($0.fromLock ?? $0.from) -> \($0.toLock ?? $0.to) at \($0.acquiredAt)" }
                    .joined(separator: ", "))
        }
        if count > 1 { parts.append("\(count) times") }
        return parts.joined(separator: "; ")
    }
}

/// One edge of a learned-order cycle, with the evidence of where it was first seen.
public struct CycleEdge: Sendable, Hashable, Codable {
    /// The lock class held.
    public let from: String
    /// The lock class acquired while `from` was held.
    public let to: String
    /// Mode `from` was held in and mode `to` was requested in, when either is a read-write lock.
    public let modes: String?
    /// Where `from` was acquired (`File.swift:line`) when the edge was first seen.
    public let heldAt: String
    /// Where `to` was acquired when the edge was first seen.
    public let acquiredAt: String
    /// The thread that first made the edge.
    public let thread: String
    /// The backtrace of the acquisition that first made the edge (empty when stack storage was
    /// full, or for the edge being added now, whose backtrace is the report's own).
    public var frames: [Frame]
    /// The held lock's own name (not its class), when the edge records it.
    public var fromLock: String? = nil
    /// The acquired lock's own name, when the edge records it.
    public var toLock: String? = nil

    /// Whether the edge runs between two locks of one class (R32): `from` and `to` are then that
    /// class, and `fromLock` and `toLock` name the two locks.
    public var isAmongInstances: Bool { from == to }

    /// The `thread` of the edge being added now: its thread is the report's own.
    static let thisAcquisition = "this thread (this acquisition)"

    private enum StartKey: String, CodingKey { case threadStartedIn }

    /// Writes the edge's JSON form: its fields, and where its thread started when its stack
    /// says (`threadStartedIn`, schema 2).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encodeIfPresent(modes, forKey: .modes)
        try container.encode(heldAt, forKey: .heldAt)
        try container.encode(acquiredAt, forKey: .acquiredAt)
        try container.encode(thread, forKey: .thread)
        try container.encode(frames, forKey: .frames)
        try container.encodeIfPresent(fromLock, forKey: .fromLock)
        try container.encodeIfPresent(toLock, forKey: .toLock)
        var started = encoder.container(keyedBy: StartKey.self)
        try started.encodeIfPresent(FindingText.startedIn(thread, frames: frames), forKey: .threadStartedIn)
    }
}
