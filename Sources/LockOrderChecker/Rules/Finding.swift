/// What a rule decided about one call, as facts: the rule broken, the locks involved, and why
/// (the levels compared, the exception that applied or why it did not, the cycle closed).
///
/// Rules return findings and never words; `FindingText` (Reports/) is the one place that turns a
/// finding into the headline, rule, exception and hint a report prints. Tests of a rule assert
/// its finding; the exact text is asserted once, by the report-text tests.
package struct Finding: Sendable, Hashable {
    /// Why the call broke its rule, with the facts the words are made from. Each case cites its
    /// rule in docs/rules.md.
    package enum Reason: Sendable, Hashable {
        /// R9: a held declared lock has a lower level than the one acquired.
        case lowerLevelHeld(heldLevel: Int, level: Int, rootLevel: Int, lockHasExceptions: Bool)
        /// R9 with R15 to R17: a held declared lock has the same level, and no exception allowed it.
        case sameLevelHeld(level: Int, rootLevel: Int, exception: ExceptionVerdict)
        /// R12: the lock's option implicitly acquires another declared lock that conflicts with a
        /// held one, at acquisition or at release.
        case implicitAcquisition(
            option: String, implicitLock: String, implicitLevel: Int, heldLevel: Int, rootLevel: Int,
            releasing: Bool)
        /// R12: the lock's option implicitly acquires a declared lock whose level conflicts with
        /// the lock's own (`level`): the implicit acquisition happens under the lock itself, at
        /// acquisition and at release (Julia: a level 1 lock taken with JL_LOCK, not JL_LOCK_NOGC).
        case implicitAcquisitionUnderItself(
            option: String, implicitLock: String, implicitLevel: Int, level: Int, rootLevel: Int,
            releasing: Bool)
        /// R13: the hierarchy forbids the operation while a held lock is held.
        case forbiddenOperation(ForbiddenOperation)
        /// R4: the thread acquires a lock it already holds, in modes that wait for each other.
        case reacquired(kind: LockKind, heldShared: Bool, mode: AccessMode)
        /// R5: a release of a lock this thread does not hold (the unlock was not performed).
        case releasedWithoutHolding(heldByAnotherThread: Bool)
        /// R6: a lock destroyed while a thread holds it (it was not destroyed).
        case destroyedWhileHeld(byThisThread: Bool)
        /// R7: a thread ended holding locks; `untracked` more were past the held stack.
        case heldAtExit(untracked: Int)
        /// R10: the acquisition closes a cycle in the learned order. `classPath` runs from the
        /// held class through the acquired one and back; `edges` starts with the new edge.
        case orderCycle(classPath: [String], edges: [CycleEdge])
        /// R10 across runs: the cycle goes through `earlierEdges` edges of the stored order
        /// (LOCKORDER_GRAPH_BASELINE).
        case orderCycleAcrossRuns(classPath: [String], edges: [CycleEdge], earlierEdges: Int)
        /// R32: the acquisition closes a cycle among locks of one class, ordered by instance.
        /// `instancePath` runs from the held lock through the acquired one and back, each named
        /// as the program names it (with its lock id when two share a name); `edges` starts with
        /// the new edge, each between the class and itself, naming its two locks.
        case instanceCycle(instancePath: [String], edges: [CycleEdge])
        /// R22: `assertHeld` (expected held) or `assertNotHeld` failed.
        case ownership(expectedHeld: Bool, mode: AccessMode?)
        /// R8: a wait on a condition or semaphore (`waitingOn`) while other locks are held.
        case waitWhileHolding(waitingOn: String, others: [String])
        /// R8: a condition wait with a mutex this thread does not hold.
        case waitNotHeld(condition: String, heldByAnotherThread: Bool)
    }

    /// Whether an exception of the hierarchy could have allowed a same-level acquisition, and why
    /// it did not (R15 to R17).
    package enum ExceptionVerdict: Sendable, Hashable {
        /// No exception names the lock.
        case none
        /// An exception names the lock, for several locks of its own class only, and the held lock
        /// is of another class.
        case coversOneClassOnly(exception: String, lockName: String)
        /// A guarded same-level exception: its guard lock is not held.
        case guardNotHeld(exception: String, lockName: String, guardName: String)
        /// An instance-order exception: the order keys are missing or not increasing.
        case orderKeysNotIncreasing(exception: String, lockName: String, orderKey: UInt64?, heldKey: UInt64?)
    }

    /// Why the call broke its rule.
    package var reason: Reason
    /// The lock the offending call acquires, releases, waits with, asserts or destroys.
    package var lock: LockSnapshot?
    /// The held lock the call conflicts with, when the rule names one.
    package var conflicting: LockSnapshot? = nil
    /// Every lock the thread held, most recent first.
    package var held: [LockSnapshot]
    /// The classes involved, the acquired one first, for deduplication.
    package var classIDs: [UInt32]
    /// The offending call's site, `File.swift:line`.
    package var site: String

    /// The rule broken, as reports and tests name it.
    package var kind: ViolationKind {
        switch reason {
        case .lowerLevelHeld: .levelInversion
        case .sameLevelHeld(_, _, .orderKeysNotIncreasing): .instanceOrder
        case .sameLevelHeld: .sameLevel
        case .implicitAcquisition(_, _, let implicitLevel, let heldLevel, _, _):
            heldLevel < implicitLevel ? .levelInversion : .sameLevel
        case .implicitAcquisitionUnderItself(_, _, let implicitLevel, let level, _, _):
            level < implicitLevel ? .levelInversion : .sameLevel
        case .forbiddenOperation: .forbiddenOperation
        case .reacquired: .selfDeadlock
        case .releasedWithoutHolding(let heldByAnotherThread):
            heldByAnotherThread ? .unlockNotOwner : .unlockNotHeld
        case .destroyedWhileHeld: .destroyedWhileHeld
        case .heldAtExit: .heldAtExit
        case .orderCycle, .orderCycleAcrossRuns, .instanceCycle: .orderCycle
        case .ownership: .ownershipAssertion
        case .waitWhileHolding: .waitWhileHolding
        case .waitNotHeld: .waitNotHeld
        }
    }

    /// Whether going on after the report would certainly hang, so the process stops whatever the
    /// mode: a re-acquisition that waits for itself. Re-taking the read side of a
    /// writer-preferring lock only may wait (behind a queued writer).
    package var isCertainDeadlock: Bool {
        guard case .reacquired(let kind, let heldShared, let mode) = reason else { return false }
        return !(kind.isReadWrite && heldShared && mode == .shared)
    }
}
