internal import CLibunwind
import CLockOrderSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a blocked thread waits for, as the watchdog shows it.
package enum WaitTarget: Sendable {
    /// A lock, in a mode: its holders are known, so a cycle of such waits is a deadlock.
    case lock(LockIdentity, AccessMode)
    /// A condition variable, by name: who could signal it is unknown.
    case condition(String)
    /// A semaphore, by name: who could signal it is unknown.
    case semaphore(String)
}

/// Where blocked threads publish "thread T waits for W since t" for the watchdog
/// (docs/watchdog.md).
///
/// Lock types call `waiting(for:site:_:)` on their contended path only (the raw trylock failed),
/// and conditions and semaphores around their raw wait. With the watchdog off that is one load
/// of a flag. With it on, the thread claims a free slot, writes its wait there (the time, what it
/// waits for, the call site and its stack) and clears it when the wait ends. Each slot is a
/// sequence lock: the watchdog copies a slot without taking any lock and keeps the copy only if
/// the sequence did not change meanwhile, so a waiting thread never waits for the watchdog.
package enum WaitRegistry {
    /// How many threads can be shown waiting at once; further waits are not shown (announced once).
    static let capacity = 256
    /// How many return addresses of the waiting thread's stack a slot keeps.
    static let frameCapacity = 32
    /// How many bytes of a condition's or semaphore's name a slot keeps.
    static let labelCapacity = 64

    /// Whether waits are published (the watchdog is on). Set once, when checking starts.
    package static let isPublishing = Atomic<Bool>(false)
    static let slots: [WaitSlot] = (0..<capacity).map { _ in WaitSlot() }

    /// Runs `body`, a blocking wait for `target`, published as this thread's wait while it runs.
    @inline(never)
    package static func waiting<Result>(for target: WaitTarget, site: SourceSite, _ body: () -> Result)
        -> Result
    {
        let counting = lockorder_timing() & UInt8(LOCKORDER_TIMING_STATS) != 0
        guard isPublishing.load(ordering: .relaxed) || counting else { return body() }
        let slot = isPublishing.load(ordering: .relaxed) ? claim(target, site: site) : nil
        defer { slot?.clear() }
        guard counting, case .lock(let identity, _) = target else { return body() }
        // Contention statistics (LOCKORDER_STATS): the wait, timed on the contended path only.
        let start = HoldTiming.now()
        defer {
            ContentionStats.current(lockorder_current_thread_state()!)
                .waited(classID: identity.classID, nanoseconds: HoldTiming.now() &- start)
        }
        return body()
    }

    private static func claim(_ target: WaitTarget, site: SourceSite) -> WaitSlot? {
        let serial = ThreadIdentity.current
        let start = Int(serial % UInt64(capacity))
        for offset in 0..<capacity {
            let slot = slots[(start + offset) % capacity]
            if slot.claimed.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
                slot.publish(target, site: site, thread: serial)
                return slot
            }
        }
        CheckerState.shared.announceCapacity(
            "waiting threads shown",
            "more than \(capacity) threads wait at once; the watchdog does not see the others until some wake"
        )
        return nil
    }

    /// The waits published now, each copied consistently (a slot changing while it is read is
    /// left out of this round).
    static func snapshot() -> [WaitRecord] {
        slots.enumerated().compactMap { index, slot in slot.read(index: index) }
    }
}

/// One published wait, as the watchdog copied it. Plain fields, no enum with payloads: the
/// release build's optimizer crashed on a switch over such an enum inside the report closures
/// (Swift 6.3.1, SIL ownership verifier in CopyPropagation).
struct WaitRecord {
    enum What { case lock, condition, semaphore }
    /// Slot index and sequence: names this wait and no other.
    let waitID: UInt64
    let thread: UInt64
    let tid: Int64
    let what: What
    /// For a lock: its id (0 otherwise), class, name, kind and the mode waited for.
    let lockID: UInt64
    let classID: UInt32
    let nameID: UInt32
    let kind: LockKind
    let mode: AccessMode
    /// For a condition or a semaphore: its name.
    let label: String
    /// When the wait began, monotonic nanoseconds.
    let since: UInt64
    /// The wait's call site, `File.swift:line`.
    let site: String
    /// The waiting thread's stack when it began to wait.
    let frames: [UInt]

    var isLockWait: Bool { what == .lock }
}

/// One thread's published wait: a sequence lock over plain fields (each an atomic, so a copy made
/// while the owner writes is a stale value, never undefined behaviour).
final class WaitSlot: Sendable {
    /// Set while a thread owns the slot.
    let claimed = Atomic<Bool>(false)
    /// Odd while the owner writes; the copy is kept only if it is even and unchanged after.
    let sequence = Atomic<UInt64>(0)
    let thread = Atomic<UInt64>(0)
    let tid = Atomic<Int64>(0)
    /// What (0 lock, 1 condition, 2 semaphore) | mode << 8 | lock kind << 16 | label length << 32.
    let shape = Atomic<UInt64>(0)
    let lockID = Atomic<UInt64>(0)
    /// Class id | name id << 32.
    let lockNames = Atomic<UInt64>(0)
    let since = Atomic<UInt64>(0)
    let file = Atomic<UInt>(0)
    /// File length | line << 32.
    let fileLine = Atomic<UInt64>(0)
    let frameCount = Atomic<Int>(0)
    nonisolated(unsafe) let frames = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(
        capacity: WaitRegistry.frameCapacity)
    nonisolated(unsafe) let label = UnsafeMutablePointer<UInt8>.allocate(capacity: WaitRegistry.labelCapacity)

    func publish(_ target: WaitTarget, site: SourceSite, thread serial: UInt64) {
        sequence.add(1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        thread.store(serial, ordering: .relaxed)
        tid.store(lockorder_thread_id(), ordering: .relaxed)
        var shape: UInt64
        switch target {
        case .lock(let identity, let mode):
            shape = UInt64(mode.rawValue) << 8 | UInt64(identity.kind.rawValue) << 16
            lockID.store(identity.id, ordering: .relaxed)
            lockNames.store(UInt64(identity.classID) | UInt64(identity.nameID) << 32, ordering: .relaxed)
        case .condition(let name), .semaphore(let name):
            shape = { if case .condition = target { 1 } else { 2 } }()
            var length = 0
            for byte in name.utf8.prefix(WaitRegistry.labelCapacity) {
                label[length] = byte
                length += 1
            }
            shape |= UInt64(length) << 32
            lockID.store(0, ordering: .relaxed)
        }
        self.shape.store(shape, ordering: .relaxed)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        since.store(UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec), ordering: .relaxed)
        file.store(UInt(bitPattern: site.fileID.utf8Start), ordering: .relaxed)
        fileLine.store(
            UInt64(site.fileID.utf8CodeUnitCount) | UInt64(truncatingIfNeeded: site.line) << 32,
            ordering: .relaxed)
        frameCount.store(Int(unw_backtrace(frames, Int32(WaitRegistry.frameCapacity))), ordering: .relaxed)
        sequence.add(1, ordering: .releasing)
    }

    func clear() {
        sequence.add(1, ordering: .relaxed)
        claimed.store(false, ordering: .releasing)
        sequence.add(1, ordering: .releasing)
    }

    func read(index: Int) -> WaitRecord? {
        guard claimed.load(ordering: .acquiring) else { return nil }
        let before = sequence.load(ordering: .acquiring)
        guard before & 1 == 0 else { return nil }
        let shape = shape.load(ordering: .relaxed)
        let what = shape & 0xFF
        let names = lockNames.load(ordering: .relaxed)
        let length = what == 0 ? 0 : min(Int(shape >> 32), WaitRegistry.labelCapacity)
        let label = String(decoding: UnsafeBufferPointer(start: self.label, count: length), as: UTF8.self)
        let fileLine = fileLine.load(ordering: .relaxed)
        let fileStart = UnsafePointer<UInt8>(bitPattern: file.load(ordering: .relaxed))
        let file = String(
            decoding: UnsafeBufferPointer(
                start: fileStart, count: fileStart == nil ? 0 : Int(fileLine & 0xFFFF_FFFF)),
            as: UTF8.self)
        let count = min(max(frameCount.load(ordering: .relaxed), 0), WaitRegistry.frameCapacity)
        let frames = (0..<count).map { UInt(bitPattern: self.frames[$0]) }
        let record = WaitRecord(
            waitID: UInt64(index) << 48 | before, thread: thread.load(ordering: .relaxed),
            tid: tid.load(ordering: .relaxed), what: what == 0 ? .lock : what == 1 ? .condition : .semaphore,
            lockID: what == 0 ? lockID.load(ordering: .relaxed) : 0,
            classID: UInt32(truncatingIfNeeded: names),
            nameID: UInt32(truncatingIfNeeded: names >> 32),
            kind: LockKind(rawValue: UInt8(truncatingIfNeeded: shape >> 16)) ?? .mutex,
            mode: AccessMode(rawValue: UInt8(truncatingIfNeeded: shape >> 8)) ?? .exclusive, label: label,
            since: since.load(ordering: .relaxed),
            site: "\(file):\(fileLine >> 32)", frames: frames)
        atomicMemoryFence(ordering: .acquiring)
        guard sequence.load(ordering: .relaxed) == before, claimed.load(ordering: .relaxed) else {
            return nil
        }
        return record
    }
}
