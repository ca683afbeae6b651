#if canImport(Glibc)
    import Glibc
#endif

/// Opening and replacing the files the checker writes (`LOCKORDER_REPORT_FILE`,
/// `LOCKORDER_GRAPH_FILE`) without ever blocking or writing through someone else's link:
///
/// - Nothing is opened in a way that can wait: a FIFO or a device never makes `open` block
///   (`O_NONBLOCK`), and anything but a regular file is refused with one line.
/// - The report file follows a symbolic link only when the link is owned by the process's user
///   or by root (the rule of Linux's `fs.protected_symlinks` for sticky folders, applied
///   everywhere); a link owned by another user is refused.
/// - The graph file is written to a temporary file in the same folder, then renamed over the
///   target: a symbolic link at the target, or anything but a regular file, is refused, and so
///   is the report file's path (same path or same file).
enum OutputFiles {
    /// The report file, opened for appending; or the problem, worded for the warning line.
    struct ReportFile {
        var descriptor: Int32
        var device: UInt
        var inode: UInt
    }

    static func openReportFile(_ path: String) -> Result<ReportFile, OutputFileProblem> {
        var link = stat()
        var flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK
        if lstat(path, &link) == 0 && (link.st_mode & S_IFMT) == S_IFLNK {
            if link.st_uid != geteuid() && link.st_uid != 0 {
                return .failure(
                    OutputFileProblem(
                        "is a symbolic link owned by another user (uid \(link.st_uid)); it is not followed"))
            }
        } else {
            // Not a link when looked at: if one appears before the open, the open fails.
            flags |= O_NOFOLLOW
        }
        var descriptor: Int32
        repeat {
            descriptor = open(path, flags, 0o644)
        } while descriptor < 0 && errno == EINTR
        if descriptor < 0 {
            let code = errno
            if code == ENXIO {
                return .failure(OutputFileProblem("is a FIFO with no reader: not a regular file"))
            }
            return .failure(OutputFileProblem(errno: code))
        }
        var file = stat()
        guard fstat(descriptor, &file) == 0, (file.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            return .failure(OutputFileProblem("is not a regular file"))
        }
        return .success(ReportFile(descriptor: descriptor, device: file.st_dev, inode: file.st_ino))
    }

    /// Replaces the file at `path` with `bytes`, through a temporary file in the same folder.
    /// Returns the lines to print: a problem, or a note that an existing file was replaced.
    static func replaceGraphFile(
        path: String, with bytes: [UInt8], reportFile: (path: String, file: ReportFile)?
    )
        -> [String]
    {
        let shown = "lockorder: LOCKORDER_GRAPH_FILE '\(TerminalText.value(path))'"
        if let reportFile, reportFile.path == path {
            return ["\(shown) is also LOCKORDER_REPORT_FILE; the graph is not written"]
        }
        var existing = stat()
        let exists = lstat(path, &existing) == 0
        if exists {
            if let reportFile, existing.st_dev == reportFile.file.device,
                existing.st_ino == reportFile.file.inode
            {
                return ["\(shown) is the same file as LOCKORDER_REPORT_FILE; the graph is not written"]
            }
            switch existing.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFLNK: return ["\(shown) is a symbolic link; the graph is not written through it"]
            default: return ["\(shown) is not a regular file; the graph is not written"]
            }
        }
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        var template = Array("\(folder.isEmpty ? "" : folder)/.lockorder-graph-XXXXXX".utf8CString)
        let temporary = mkstemp(&template)
        guard temporary >= 0 else {
            return [
                "\(shown): cannot create a temporary file next to it: \(OutputFileProblem(errno: errno).text)"
            ]
        }
        let temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        _ = fcntl(temporary, F_SETFD, FD_CLOEXEC)
        fchmod(temporary, 0o644)
        let writeError = bytes.withUnsafeBufferPointer { writeAll(fileDescriptor: temporary, $0) }
        let closeError = close(temporary) == 0 ? 0 : errno
        if writeError != 0 || closeError != 0 {
            unlink(temporaryPath)
            let problem = OutputFileProblem(writeErrno: writeError != 0 ? writeError : closeError).text
            return ["\(shown): \(problem); the graph is not written"]
        }
        if rename(temporaryPath, path) != 0 {
            let problem = OutputFileProblem(errno: errno).text
            unlink(temporaryPath)
            return ["\(shown): \(problem); the graph is not written"]
        }
        return exists ? ["\(shown): replaced the existing file"] : []
    }
}

/// Why an output file cannot be used, worded to follow its path in a warning line.
struct OutputFileProblem: Error {
    let text: String

    init(_ text: String) { self.text = text }

    /// strerror's text.
    init(errno code: Int32) {
        text = String(cString: strerror(code))
    }

    /// A failed write: strerror's text and the errno value.
    init(writeErrno code: Int32) {
        text = "write failed: \(String(cString: strerror(code))) (errno \(code))"
    }
}
