#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a whole (small) file with POSIX calls: the one reader for every file lockorder takes as
/// input, hierarchy files here and graph files in the `lockorder` tool, so both refuse the same
/// inputs with the same words.
package enum FileContents {
    /// Why a file could not be read, in words (`cannot open file: No such file or directory`).
    package struct Failure: Error, Sendable, Equatable {
        package let problem: String
    }

    /// The file's bytes; refuses a path with a NUL byte, a FIFO, socket or device, and a file
    /// larger than `maximumSize`.
    package static func read(path: String, maximumSize: Int) throws(Failure) -> [UInt8] {
        if path.utf8.contains(0) {
            throw Failure(problem: "cannot open file: the path contains a NUL byte")
        }
        var descriptor: Int32
        repeat {
            // Non-blocking: opening a FIFO must not wait for a writer.
            descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        } while descriptor < 0 && errno == EINTR
        if descriptor < 0 {
            throw Failure(problem: "cannot open file: \(errorText(errno))")
        }
        defer { _ = close(descriptor) }
        // A FIFO, a socket or a device could block a read or never end: refused. (A folder
        // fails its first read, with its own words.)
        var file = stat()
        if fstat(descriptor, &file) == 0 {
            switch file.st_mode & S_IFMT {
            case S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK:
                throw Failure(problem: "cannot open file: not a regular file")
            default: break
            }
        }

        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw Failure(problem: "cannot read file: \(errorText(code))")
            }
            if count == 0 { break }
            contents.append(contentsOf: chunk[0..<count])
            if contents.count > maximumSize {
                throw Failure(problem: "file is larger than \(maximumSize) bytes")
            }
        }
        return contents
    }

    /// strerror's text for an errno value.
    package static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
