import CLockOrderSupport

/// Where the calling thread was created, as lockorder's `pthread_create` recorded it
/// (LockOrderThreadCreation.h): which thread made it, and that thread's stack at the call.
struct ThreadCreation {
    /// The creating thread as reports name threads (`thread 1 (tid 4711, main thread)`).
    var creator: String
    /// The creating thread's stack at `pthread_create`, its caller first.
    var backtrace: Backtrace

    /// The calling thread's creation; nil when it was not recorded (made while checking was off,
    /// or the main thread).
    static func current() -> ThreadCreation? {
        let record = lockorder_current_thread_creation()!.pointee
        guard record.recorded != 0 else { return nil }
        let name = withUnsafeBytes(of: record.creator_name) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        let creator = ThreadIdentity.description(
            serial: record.creator_serial, tid: record.creator_tid, name: name)
        let frames = withUnsafeBytes(of: record.frames) { bytes in
            bytes.bindMemory(to: UInt.self).prefix(Int(record.frame_count))
        }
        // The first frame is lockorder's own pthread_create.
        return ThreadCreation(creator: creator, backtrace: Backtrace(addresses: Array(frames.dropFirst())))
    }
}
