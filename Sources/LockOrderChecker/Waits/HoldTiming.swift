import CLockOrderSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Timed holds (docs/watchdog.md): with LOCKORDER_HOLD_WARN or LOCKORDER_STATS the full calls
/// stamp each new held entry with its acquisition time (beside the entry, in `held_since`) and,
/// at its release, measure the hold: a hold longer than LOCKORDER_HOLD_WARN is reported
/// (`long_hold`, once per pair of sites), and the statistics add it to the lock's class.
///
/// Nothing here runs unless `lockorder_timing()` is set: the fast-path calls then step aside,
/// so that every acquisition and release passes through the full calls, which call these.
@usableFromInline package enum HoldTiming {
    /// Nanoseconds after which a hold is reported at its release; 0: holds are not reported.
    static let holdWarning = Atomic<UInt64>(0)
    /// The pairs of sites (acquired at, released at) already reported.
    static let reportedPairs = Mutex<Set<SitePair>>([])

    struct SitePair: Hashable {
        let acquiredFile: UInt
        let acquiredLine: UInt32
        let releasedFile: UInt
        let releasedLine: UInt
    }

    /// Reads LOCKORDER_HOLD_WARN: milliseconds above 0. Returns nanoseconds (nil: off) and the
    /// line for a bad value.
    static func holdWarning(_ value: String?) -> (UInt64?, String?) {
        guard let value, !value.isEmpty, value != "0", value != "off" else { return (nil, nil) }
        if let milliseconds = Double(value), milliseconds > 0, milliseconds < 1e12 {
            return (max(1, UInt64(milliseconds * 1e6)), nil)
        }
        return (
            nil, "lockorder: LOCKORDER_HOLD_WARN=\(value) is not a number of milliseconds above 0; ignored\n"
        )
    }

    /// Switches timing on or off for the whole process: hold warnings after `holdWarning`
    /// nanoseconds (nil: none) and the statistics. Made once, while configuring (and by the
    /// benchmark between its runs).
    package static func configure(holdWarning: UInt64?, statistics: Bool) {
        self.holdWarning.store(holdWarning ?? 0, ordering: .relaxed)
        var timing = holdWarning != nil ? UInt8(LOCKORDER_TIMING_HOLDS) : 0
        if statistics { timing |= UInt8(LOCKORDER_TIMING_HOLDS | LOCKORDER_TIMING_STATS) }
        guard timing != lockorder_timing() else { return }
        lockorder_set_timing(timing)
        // Open gates were opened for the old switch; a new epoch closes them all, so that from
        // now on the inlined fast-path calls step aside (or run again). Held stacks of the old
        // epoch are discarded: configure before locks are held.
        lockorder_advance_epoch()
    }

    static func now() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// The calling thread's newest held entry was just pushed: stamps it, and counts the
    /// acquisition in the statistics.
    @usableFromInline @inline(never)
    static func acquired() {
        let state = lockorder_current_thread_state()!
        let depth = Int(state.pointee.depth)
        guard depth > 0, depth <= Int(LOCKORDER_HELD_CAPACITY) else { return }
        lockorder_held_since(state)[depth - 1] = now()
        if lockorder_timing() & UInt8(LOCKORDER_TIMING_STATS) != 0 {
            ContentionStats.current(state).acquired(classID: lockorder_held_locks(state)[depth - 1].class_id)
        }
    }

    /// The full release's fast verdict just popped the calling thread's top entry (its memory
    /// is intact until the next push): measures that hold.
    @usableFromInline @inline(never)
    static func releasedTop(site: SourceSite) {
        let state = lockorder_current_thread_state()!
        let index = Int(state.pointee.depth)
        guard index < Int(LOCKORDER_HELD_CAPACITY) else { return }
        released(
            lockorder_held_locks(state)[index], since: lockorder_held_since(state)[index], site: site,
            state: state)
    }

    /// A hold that began at `since` (0: not timed) ended at `site`: added to the statistics,
    /// reported when longer than LOCKORDER_HOLD_WARN.
    static func released(
        _ entry: lockorder_held_lock, since: UInt64, site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        guard since != 0 else { return }
        let held = now() &- since
        if lockorder_timing() & UInt8(LOCKORDER_TIMING_STATS) != 0 {
            ContentionStats.current(state).held(classID: entry.class_id, nanoseconds: held)
        }
        let limit = holdWarning.load(ordering: .relaxed)
        guard limit != 0, held >= limit else { return }
        let pair = SitePair(
            acquiredFile: UInt(bitPattern: entry.file), acquiredLine: entry.line,
            releasedFile: UInt(bitPattern: site.fileID.utf8Start), releasedLine: site.line)
        guard reportedPairs.withLock({ $0.insert(pair).inserted }) else { return }
        CheckerState.shared.reportLongHold(entry, nanoseconds: held, limit: limit, site: site, state: state)
    }
}

extension CheckerState {
    /// A hold longer than LOCKORDER_HOLD_WARN, at its release.
    func reportLongHold(
        _ entry: lockorder_held_lock, nanoseconds: UInt64, limit: UInt64, site: SourceSite,
        state: UnsafeMutablePointer<lockorder_thread_state>
    ) {
        slowPath(state) {
            let candidate = tables.withLock { tables -> ViolationCandidate in
                let lock = tables.snapshot(entry)
                let taken = lock.site ?? "?"
                return ViolationCandidate(
                    kind: .longHold,
                    message:
                        "long hold: \(lock.name) was held \(HoldTiming.milliseconds(nanoseconds)), "
                        + "taken at \(taken), released at \(site)",
                    lock: lock, held: tables.heldSnapshots(state),
                    rule:
                        "a hold longer than LOCKORDER_HOLD_WARN (\(HoldTiming.milliseconds(limit))) is reported at "
                        + "its release, once per pair of sites",
                    hint:
                        "every thread that needs \(lock.name) waits meanwhile: move slow work (I/O, waits, "
                        + "allocation of large things) out of the section between \(taken) and \(site)",
                    classIDs: [entry.class_id], site: "\(site)")
            }
            report([candidate])
        }
    }
}

extension HoldTiming {
    /// `12.3 ms`.
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let tenths = (nanoseconds + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10) ms"
    }
}
