import CLockOrderSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The watchdog for real deadlocks (docs/watchdog.md): a background thread, started with checking
/// when `LOCKORDER_WATCHDOG=SECONDS` (or `LOCKORDER_WAIT_WARN`) is set, that every period reads
/// the published waits and
///
/// 1. reports a cycle of threads, each waiting for a lock the next one holds, seen in two rounds
///    in a row, as `deadlock` (every thread, what it holds and where it took it, what it waits
///    for, and its stack when it began to wait);
/// 2. with `LOCKORDER_WAIT_WARN=SECONDS`, reports once each wait that has lasted longer
///    (`long_wait`), naming the holder of the lock and where it took it.
///
/// It never waits for a user thread: the waits and the thread registry are read with a sequence
/// lock and a trylock, and a report is made only when the backtrace lock is free (otherwise the
/// next round tries again). It is a detached thread that only sleeps between rounds, so it never
/// keeps the process from exiting.
enum Watchdog {
    struct Settings: Equatable {
        /// Seconds between rounds.
        var period: Double
        /// Seconds after which a wait is reported; nil: never.
        var waitWarning: Double?
    }

    /// Reads LOCKORDER_WATCHDOG and LOCKORDER_WAIT_WARN. Returns the settings (nil: no watchdog)
    /// and one line per bad value.
    static func settings(watchdog: String?, waitWarning: String?) -> (Settings?, [String]) {
        var messages: [String] = []
        func seconds(_ name: String, _ value: String?) -> Double? {
            guard let value, !value.isEmpty, value != "0", value != "off" else { return nil }
            if let seconds = Double(value), seconds > 0, seconds < 1e9 { return seconds }
            messages.append("lockorder: \(name)=\(value) is not a number of seconds above 0; ignored\n")
            return nil
        }
        let period = seconds("LOCKORDER_WATCHDOG", watchdog)
        let warning = seconds("LOCKORDER_WAIT_WARN", waitWarning)
        guard period != nil || warning != nil else { return (nil, messages) }
        // A wait warning alone runs the watchdog often enough to see it on time.
        return (Settings(period: period ?? min(1, warning! / 2), waitWarning: warning), messages)
    }

    nonisolated(unsafe) static var current: Settings?

    /// Starts the watchdog thread, once. Called while configuring, under the checker's lock.
    static func start(_ settings: Settings) {
        guard current == nil else { return }
        current = settings
        WaitRegistry.isPublishing.store(true, ordering: .relaxed)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { _ in Watchdog.run() }, nil)
        pthread_attr_destroy(&attributes)
        if result != 0 {
            StandardError.write(
                "lockorder: the watchdog thread could not start: \(String(cString: strerror(result))); no watchdog\n"
            )
        }
    }

    private static func run() -> Never {
        nameThisThread("lockorder-watch")
        guard let settings = current else { pthread_exit(nil) }
        var rounds = WatchdogRounds(waitWarning: settings.waitWarning)
        let period = UInt64(settings.period * 1e9)
        while true {
            var pause = timespec(tv_sec: Int(period / 1_000_000_000), tv_nsec: Int(period % 1_000_000_000))
            var remaining = timespec()
            while nanosleep(&pause, &remaining) != 0 && errno == EINTR { pause = remaining }
            rounds.round(now: monotonicNow())
        }
    }

    static func monotonicNow() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Names the calling thread (through /proc: Swift's Glibc module lacks pthread_setname_np).
    private static func nameThisThread(_ name: String) {
        let descriptor = open("/proc/self/task/\(lockorder_thread_id())/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = name.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, name.utf8.count) }
        close(descriptor)
    }

    /// Another thread's description in reports, as the thread would describe itself:
    /// `thread 3 (tid 4711, "worker")`, `unnamed`, `main thread`.
    static func describe(serial: UInt64, tid: Int64) -> String {
        var name = ""
        let descriptor = open("/proc/self/task/\(tid)/comm", O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = read(descriptor, &buffer, buffer.count)
            close(descriptor)
            if count > 0 {
                name = String(decoding: buffer[0..<count], as: UTF8.self)
                while name.last == "\n" { name.removeLast() }
            }
        }
        return ThreadIdentity.description(serial: serial, tid: tid, name: name)
    }
}

/// What the watchdog remembers between rounds.
struct WatchdogRounds {
    let waitWarning: Double?
    /// Cycles seen last round, by the waits in them: reported when seen again.
    private var suspected: Set<[UInt64]> = []
    private var reportedCycles: Set<[UInt64]> = []
    private var warnedWaits: Set<UInt64> = []

    init(waitWarning: Double?) {
        self.waitWarning = waitWarning
    }

    mutating func round(now: UInt64) {
        let waits = WaitRegistry.snapshot()
        if waits.isEmpty {
            suspected = []
            return
        }
        guard let threads = ThreadRegistry.snapshotIfFree() else { return }
        let holders = Holders(threads: threads)
        var found: Set<[UInt64]> = []
        var toReport: [[WaitRecord]] = []
        for cycle in Self.cycles(waits, holders) {
            let key = cycle.map(\.waitID).sorted()
            found.insert(key)
            if suspected.contains(key) && !reportedCycles.contains(key) { toReport.append(cycle) }
        }
        var longWaits: [WaitRecord] = []
        if let waitWarning {
            let limit = UInt64(waitWarning * 1e9)
            for wait in waits
            where now > wait.since && now - wait.since >= limit && !warnedWaits.contains(wait.waitID) {
                longWaits.append(wait)
            }
        }
        if toReport.isEmpty && longWaits.isEmpty {
            suspected = found
            return
        }
        // Reports are made only while no other report is printing: the watchdog never waits.
        // Marked before the lock is taken, as every slow path (R26): the reports' text is
        // queued and written when the outermost mark ends, after the lock is released, so a
        // stderr that blocks stalls the watchdog alone, never a thread that needs the lock.
        let reported = CheckerMark.inside {
            SlowPathLock.withLockIfFree { () -> Bool in
                for cycle in toReport {
                    CheckerState.shared.reportDeadlock(cycle, holders: holders)
                }
                for wait in longWaits {
                    CheckerState.shared.reportLongWait(wait, now: now, holders: holders)
                }
                return true
            }
        }
        if reported == true {
            for cycle in toReport { reportedCycles.insert(cycle.map(\.waitID).sorted()) }
            for wait in longWaits { warnedWaits.insert(wait.waitID) }
        }
        let current = Set(waits.map(\.waitID))
        warnedWaits = warnedWaits.filter { current.contains($0) }
        suspected = found
    }

    /// Every cycle of lock waits: thread T waits for a lock held by thread U, which waits for a
    /// lock held by ..., back to T. Each cycle once, starting at its smallest thread serial.
    static func cycles(_ waits: [WaitRecord], _ holders: Holders) -> [[WaitRecord]] {
        var waitByThread: [UInt64: WaitRecord] = [:]
        for wait in waits where wait.isLockWait { waitByThread[wait.thread] = wait }
        var cycles: [[WaitRecord]] = []
        var seen: Set<UInt64> = []
        for start in waitByThread.keys.sorted() where !seen.contains(start) {
            var path: [UInt64] = []
            var position: [UInt64: Int] = [:]
            var thread = start
            var closedAt: Int?
            while let wait = waitByThread[thread], !seen.contains(thread) {
                if let index = position[thread] {
                    closedAt = index
                    break
                }
                position[thread] = path.count
                path.append(thread)
                guard
                    let next = holders.holders(of: wait.lockID, except: thread).first(where: {
                        waitByThread[$0] != nil
                    })
                else { break }
                thread = next
            }
            if let closedAt {
                cycles.append(path[closedAt...].map { waitByThread[$0]! })
            }
            seen.formUnion(path)
        }
        return cycles
    }
}

/// Who holds which lock, from the registered threads' held stacks.
struct Holders {
    let threads: [ThreadRegistry.Thread]

    func holders(of lockID: UInt64, except thread: UInt64) -> [UInt64] {
        threads.filter { $0.serial != thread && $0.held.contains { $0.lock_id == lockID } }.map(\.serial)
    }

    /// The thread that holds `lockID` (other than `thread`) and its held entry for it.
    func holding(_ lockID: UInt64, except thread: UInt64) -> (ThreadRegistry.Thread, lockorder_held_lock)? {
        for candidate in threads where candidate.serial != thread {
            if let entry = candidate.held.last(where: { $0.lock_id == lockID }) { return (candidate, entry) }
        }
        return nil
    }

    func thread(_ serial: UInt64) -> ThreadRegistry.Thread? {
        threads.first { $0.serial == serial }
    }
}
