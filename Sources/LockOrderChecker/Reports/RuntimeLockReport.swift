internal import CLibunwind
import CLockOrderSupport

/// What a container or a context found wrong, before it becomes a report.
package struct RuntimeLockFinding {
    /// `container_locked`, `context_locked` or `unlock_not_held`.
    package var kind: ViolationKind
    /// The headline without `lockorder: `.
    package var message: String
    /// The rule in words.
    package var rule: String
    /// The operation attempted (`push`, `restart`...).
    package var operation: String
    /// The locks that refused it (empty for an unlock of something not locked).
    package var locks: [RuntimeLockSnapshot]
    /// A one-line suggestion.
    package var hint: String
    /// Where the operation was attempted.
    package var site: SourceSite

    /// Creates a finding.
    package init(
        kind: ViolationKind, message: String, rule: String, operation: String, locks: [RuntimeLockSnapshot],
        hint: String, site: SourceSite
    ) {
        self.kind = kind
        self.message = message
        self.rule = rule
        self.operation = operation
        self.locks = locks
        self.hint = hint
        self.site = site
    }
}

/// The calls LockOrderContainers makes into the checker: the switch and the report.
extension LockOrder {
    /// Whether runtime-lock checks apply now on this thread: checking is on (the environment is
    /// read first if it was not yet) and the checker is not running on this thread. Out of line:
    /// containers call it only after one inlined load said checking may be on.
    @inline(never)
    package static func runtimeLockChecksApply() -> Bool {
        checkedThreadState() != nil
    }

    /// Reports a finding through the reporter (deduplicated by kind, call site and operation;
    /// text, JSON line, summary), under the backtrace lock. Returns false, reporting nothing,
    /// when checking is off or the checker is running on this thread: the caller then goes on
    /// unchecked. In abort mode the process stops after the report.
    @inline(never)
    package static func reportRuntimeLock(_ finding: RuntimeLockFinding) -> Bool {
        guard let state = checkedThreadState() else { return false }
        let checker = CheckerState.shared
        checker.slowPath(state) {
            let held = checker.tables.withLock { $0.heldSnapshots(state) }
            var candidate = ViolationCandidate(
                kind: finding.kind, message: finding.message, lock: nil, held: held, rule: finding.rule,
                hint: finding.hint, classIDs: [], site: "\(finding.site)")
            candidate.operation = finding.operation
            candidate.runtimeLocks = finding.locks
            checker.report([candidate])
        }
        return true
    }
}

extension LockOrder {
    /// The first frame of `backtrace` outside lockorder's own modules, in one phrase: its
    /// `file:line:column` when a symbolizer names it (LOCKORDER_SYMBOLIZE, on by default), otherwise its
    /// function, offset and module. For runtime locks taken where no `#fileID` reaches (a
    /// `for`-`in` loop calls `makeIterator()` without arguments).
    @inline(never)
    package static func describeCallSite(_ backtrace: Backtrace) -> String {
        let locatesSource = CheckerState.shared.tables.withLock { $0.configuration.sourceLocations }
        guard let frame = backtrace.symbolicated(sourceLocations: locatesSource).first else {
            return "an unknown site"
        }
        if let sourceLocation = frame.sourceLocation { return sourceLocation }
        var phrase =
            frame.function.map { "\($0) + \(frame.offset)" } ?? "0x" + String(frame.address, radix: 16)
        if let module = frame.module { phrase += " (\(module))" }
        return phrase
    }
}

extension LockOrder {
    /// The frames kept for a runtime lock's site: enough to pass the capture, the container's
    /// own frames and reach the caller's.
    static let callSiteFrames = 8

    /// Captures the few innermost return addresses of the calling thread, for the site of a
    /// runtime lock taken where no `#fileID` reaches (a `for`-`in` loop's iteration). Cheaper than
    /// a full backtrace: `describeCallSite` names only its first user frame, and only if a report
    /// needs it.
    @inline(never)
    package static func captureCallSite() -> Backtrace {
        withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: callSiteFrames) { buffer in
            let count = max(Int(unw_backtrace(buffer.baseAddress, Int32(callSiteFrames))), 0)
            return Backtrace(addresses: (0..<count).map { UInt(bitPattern: buffer[$0]) })
        }
    }
}
