#if canImport(Glibc)
    import Glibc
#endif

/// Unbuffered writes to file descriptor 2.
///
/// The C `stderr` global is not usable in Swift 6 mode, and a report must reach the terminal
/// whole even when the process aborts right after, so every call is one `write(2)` loop.
package enum StandardError {
    /// Writes all of `text`, retrying partial writes and interrupted calls.
    package static func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            writeAll(fileDescriptor: 2, buffer)
        }
    }
}

/// Writes a whole buffer to a file descriptor, retrying partial writes and interrupted calls.
/// Returns 0, or the errno of the write that failed (the caller decides whether and where to
/// say so: a failed write to stderr has nowhere left to go).
@discardableResult
package func writeAll(fileDescriptor: Int32, _ buffer: UnsafeBufferPointer<UInt8>) -> Int32 {
    guard var pointer = buffer.baseAddress else { return 0 }
    var remaining = buffer.count
    while remaining > 0 {
        let written = Glibc.write(fileDescriptor, pointer, remaining)
        if written < 0 {
            if errno == EINTR { continue }
            return errno
        }
        if written == 0 { return EIO }
        pointer += written
        remaining -= written
    }
    return 0
}
