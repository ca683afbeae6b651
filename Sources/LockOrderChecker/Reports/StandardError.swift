#if canImport(Glibc)
    import Glibc
#endif

/// Unbuffered writes to file descriptor 2.
///
/// The C `stderr` global is not usable in Swift 6 mode. Text goes through `ReportOutput`, which
/// writes it once the thread holds none of the checker's locks; each text is one `write(2)`
/// loop, whole.
package enum StandardError {
    /// Writes all of `text`: now, or, inside the checker, when the thread leaves it.
    package static func write(_ text: String) {
        ReportOutput.write(text)
    }

    /// Writes all of `text` now, retrying partial writes and interrupted calls (the queue's
    /// writer, and the last words before an internal error stops the process).
    package static func writeNow(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            _ = writeAll(fileDescriptor: 2, buffer)
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
