import CLockOrderSupport

/// The Swift task the calling thread is running, as the checker records it with each
/// acquisition: the task's address, or 0 outside a task.
///
/// `withUnsafeCurrentTask` gives the same task, but it is a generic call that takes a
/// reference on the task; an acquisition needs only the address, so the runtime's own accessor
/// (`swift_task_getCurrent`, which `withUnsafeCurrentTask` calls) is used, through the C
/// support: one call, no reference counting. A task's address identifies it while it runs; it
/// can be reused after the task ends, which is after the task released (or leaked) what it held.
///
/// The fast path asks only on threads the checker has seen run a task (`runs_tasks`, set by
/// `sampled` on a slow path or when the thread's gate opens): the call costs about 20
/// instructions, and most threads that take locks never run a task (docs/performance.md,
/// "Async code").
public enum CurrentTask {
    /// The current task's address, or 0 when the thread is not running a task.
    @inlinable @inline(__always)
    public static var address: UInt64 {
        lockorder_current_task()
    }

    /// `address`, off the fast path: a thread found running a task is marked, so that its fast
    /// path records the task of each acquisition from then on.
    static var sampled: UInt64 {
        lockorder_sample_current_task()
    }

    /// How reports name a task: `task 0x7f...`.
    static func describe(_ address: UInt64) -> String {
        "task 0x" + String(address, radix: 16)
    }
}
