import CLockOrderSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The checker's name for a thread: a serial number handed out on first use, never reused.
///
/// Serials (not pthread_t values, which are reused) identify lock owners and the thread in
/// reports. The serial lives in the thread's C `__thread` state, so reading it is one load.
@usableFromInline
package enum ThreadIdentity {
    private static let nextSerial = Atomic<UInt64>(1)

    /// The calling thread's serial, assigned on the first call.
    @inlinable
    package static var current: UInt64 {
        let state = lockorder_current_thread_state()!
        let serial = state.pointee.serial
        if serial != 0 { return serial }
        return assignSerial(state)
    }

    @inline(never) @usableFromInline
    static func assignSerial(_ state: UnsafeMutablePointer<lockorder_thread_state>) -> UInt64 {
        let serial = nextSerial.wrappingAdd(1, ordering: .relaxed).oldValue
        state.pointee.serial = serial
        return serial
    }

    /// A description for reports: serial, kernel thread id and the thread's name as the program
    /// set it, for example `thread 3 (tid 4711, "worker")`. A thread whose name is the process's
    /// (Linux names every thread after its process until the program names it) is `unnamed`, or
    /// `main thread` for the process's first thread.
    package static func describeCurrent() -> String {
        var nameBuffer = [CChar](repeating: 0, count: 64)
        let name =
            lockorder_thread_name(&nameBuffer, nameBuffer.count) == 0
            ? String(decoding: nameBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : ""
        return description(serial: current, tid: Int64(lockorder_thread_id()), name: name)
    }

    /// A thread's description from its serial, kernel thread id and kernel name (read by the
    /// thread itself, by the watchdog through /proc, or by a thread's creator), with the naming
    /// rule above. Serial 0 is a thread that never met the checker: `a thread (tid 4711, ...)`.
    package static func description(serial: UInt64, tid: Int64, name: String) -> String {
        let given =
            if name.isEmpty || name == processName {
                tid == Int64(getpid()) ? "main thread" : "unnamed"
            } else {
                "\"\(name)\""
            }
        return "\(serial == 0 ? "a thread" : "thread \(serial)") (tid \(tid), \(given))"
    }

    /// The name Linux gives a process's threads: the executable's file name, cut to 15 bytes.
    private static let processName: String = {
        let path = CommandLine.arguments.first ?? ""
        let file = path.split(separator: "/").last.map(String.init) ?? path
        return String(decoding: file.utf8.prefix(15), as: UTF8.self)
    }()
}
