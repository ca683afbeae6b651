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

/// Writes a whole buffer to a file descriptor; gives up silently on a real error (there is
/// nowhere left to report it).
package func writeAll(fileDescriptor: Int32, _ buffer: UnsafeBufferPointer<UInt8>) {
    guard var pointer = buffer.baseAddress else { return }
    var remaining = buffer.count
    while remaining > 0 {
        let written = Glibc.write(fileDescriptor, pointer, remaining)
        if written < 0 {
            if errno == EINTR { continue }
            return
        }
        pointer += written
        remaining -= written
    }
}
