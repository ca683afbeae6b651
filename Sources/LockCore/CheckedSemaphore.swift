import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// A counting semaphore (the kind of `sem_t` and `DispatchSemaphore`) whose waits the checker
/// and the watchdog see.
///
/// Guarantees (docs/locks.md):
/// - `wait()` returns once it has taken one unit of the count; `signal()` gives one back and
///   wakes one waiter. The count never goes below zero.
/// - Waiting while holding a checked lock is reported (`wait_while_holding`), then the wait
///   goes on: a waiter that holds a lock blocks every thread that needs it until a signal, and
///   the signalling thread may need it.
/// - With the watchdog on (`LOCKORDER_WATCHDOG`) a blocked waiter is shown as waiting on the
///   semaphore; who could signal it is unknown, so no cycle is guessed through it.
/// - A wait inside a Swift task that finds no unit blocks a thread of the cooperative pool:
///   reported (`blocking_in_task`, once per call site), then the wait goes on. A wait that finds
///   a unit is not reported.
///
/// It is built on a raw pthread mutex and condition, which are never reported to the checker.
public final class CheckedSemaphore: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    /// Touched only while holding `mutex`.
    private var count: Int
    /// Shown in reports.
    public let name: String

    /// Creates a semaphore holding `value` units (0 or more); `name` is shown in reports (nil:
    /// its creation site).
    public init(value: Int = 0, _ name: String? = nil, fileID: StaticString = #fileID, line: UInt = #line) {
        precondition(value >= 0, "lockorder: a semaphore's initial value must not be negative (\(value))")
        mutex = LockOperations.makeMutex()
        condition = LockOperations.makeCondition()
        count = value
        self.name = name ?? "\(fileID):\(line)"
    }

    deinit {
        LockOperations.destroy(condition)
        LockOperations.destroy(mutex)
    }

    /// Waits until a unit is available and takes it.
    public func wait(fileID: StaticString = #fileID, line: UInt = #line) {
        _ = wait(deadline: nil, site: SourceSite(fileID: fileID, line: line))
    }

    /// Waits at most `timeout` for a unit. Returns true when one was taken, false when the
    /// timeout passed first (nothing taken).
    @discardableResult
    public func wait(timeout: Duration, fileID: StaticString = #fileID, line: UInt = #line) -> Bool {
        wait(deadline: LockOperations.deadline(after: timeout), site: SourceSite(fileID: fileID, line: line))
    }

    /// Takes a unit if one is available, without waiting. Returns whether it took one.
    public func tryWait() -> Bool {
        LockOperations.lock(mutex)
        defer { LockOperations.unlock(mutex) }
        guard count > 0 else { return false }
        count -= 1
        return true
    }

    /// Gives a unit back and wakes one waiter, if any.
    public func signal() {
        LockOperations.lock(mutex)
        count += 1
        LockOperations.unlock(mutex)
        LockOperations.signal(condition)
    }

    private func wait(deadline: UInt64?, site: SourceSite) -> Bool {
        if LockOrder.isChecking {
            LockOrder.willWait(for: "semaphore \(name)", site: site)
            // A unit is there: no wait. Otherwise the thread blocks, which a task must not do.
            if tryWait() { return true }
            LockOrder.willBlockInTask(waitingOn: "semaphore \(name)", site: site)
        }
        LockOperations.lock(mutex)
        defer { LockOperations.unlock(mutex) }
        if count == 0 {
            let taken = WaitRegistry.waiting(for: .semaphore(name), site: site) { () -> Bool in
                while count == 0 {
                    if !LockOperations.wait(condition, mutex, deadline: deadline) { return count > 0 }
                }
                return true
            }
            guard taken else { return false }
        }
        count -= 1
        return true
    }
}
