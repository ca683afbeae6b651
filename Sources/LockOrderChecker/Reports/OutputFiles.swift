import LockOrderHierarchy

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
/// - The graph file is merged under an exclusive `flock` on `FILE.lock` (a regular file, never
///   reached through a link; waited for at most `graphLockPatience` seconds), written to a
///   temporary file in the same folder and renamed over the target: a symbolic link at the
///   target, anything but a regular file, a file that is not a graph, and the report file's path
///   (same path or same file) are refused and left as they are.
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

    /// How long a writer waits for another process's turn at the graph file before giving up
    /// (exit must never hang on a lock file held by a stopped process).
    static let graphLockPatience: Int = 20

    /// Merges `run` into the graph file at `path` (creating it): under an exclusive `flock` on
    /// `PATH.lock`, reads what is there, merges, writes the result to a temporary file in the same
    /// folder and renames it over the target. Processes writing at once take turns, so none loses
    /// its edges, and a reader never sees half a file. Returns the lines to print (problems); a
    /// problem leaves the target as it was.
    static func mergeGraphFile(
        path: String, run: LearnedOrderSnapshot, reportFile: (path: String, file: ReportFile)?
    )
        -> [String]
    {
        let shown = "lockorder: LOCKORDER_GRAPH_FILE '\(TerminalText.value(path))'"
        if let problem = graphTargetProblem(path: path, reportFile: reportFile) {
            return ["\(shown)\(problem)"]
        }
        let lock: Int32
        switch takeGraphLock(path + ".lock") {
        case .success(let descriptor): lock = descriptor
        case .failure(let problem): return ["\(shown): \(problem.text); the graph is not written"]
        }
        defer {
            _ = flock(lock, LOCK_UN)
            close(lock)
        }
        // Looked at again with the turn held: another writer may have changed it meanwhile.
        if let problem = graphTargetProblem(path: path, reportFile: reportFile) {
            return ["\(shown)\(problem)"]
        }
        var merged = run
        switch readExistingGraph(path) {
        case .missing: break
        case .graph(let existing): merged = existing.merging(run)
        case .failed(let problem):
            return ["\(shown): \(problem); left as it is, this run's graph is not written"]
        }
        let bytes: [UInt8]
        do {
            bytes = try merged.encoded()
        } catch {
            return ["\(shown): could not encode the graph: \(error)"]
        }
        return replaceGraphFile(path: path, shown: shown, with: bytes)
    }

    /// Why the graph file's target cannot be written (the rest of the line after the path), or nil.
    private static func graphTargetProblem(path: String, reportFile: (path: String, file: ReportFile)?)
        -> String?
    {
        if let reportFile, reportFile.path == path {
            return " is also LOCKORDER_REPORT_FILE; the graph is not written"
        }
        var existing = stat()
        guard lstat(path, &existing) == 0 else { return nil }
        if let reportFile, existing.st_dev == reportFile.file.device, existing.st_ino == reportFile.file.inode
        {
            return " is the same file as LOCKORDER_REPORT_FILE; the graph is not written"
        }
        switch existing.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFLNK: return " is a symbolic link; the graph is not written through it"
        default: return " is not a regular file; the graph is not written"
        }
    }

    /// Opens (creating) the lock file, a regular file never reached through a link, and takes
    /// its exclusive `flock`, waiting at most `graphLockPatience` seconds.
    private static func takeGraphLock(_ lockPath: String) -> Result<Int32, OutputFileProblem> {
        let shownLock = "its lock file '\(TerminalText.value(lockPath))'"
        var descriptor: Int32
        repeat {
            descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        } while descriptor < 0 && errno == EINTR
        if descriptor < 0 {
            let code = errno
            if code == ELOOP { return .failure(OutputFileProblem("\(shownLock) is a symbolic link")) }
            return .failure(
                OutputFileProblem("cannot open \(shownLock): \(OutputFileProblem(errno: code).text)"))
        }
        var file = stat()
        guard fstat(descriptor, &file) == 0, (file.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            return .failure(OutputFileProblem("\(shownLock) is not a regular file"))
        }
        // Non-blocking tries 10 ms apart: a bounded wait, and a signal never leaves it stuck.
        let tries = graphLockPatience * 100
        for _ in 0..<tries {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return .success(descriptor) }
            let code = errno
            if code != EWOULDBLOCK && code != EINTR {
                close(descriptor)
                return .failure(
                    OutputFileProblem("cannot lock \(shownLock): \(OutputFileProblem(errno: code).text)"))
            }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            _ = nanosleep(&pause, nil)
        }
        close(descriptor)
        return .failure(
            OutputFileProblem(
                "\(shownLock) stayed locked by another process for \(graphLockPatience) seconds"))
    }

    enum ExistingGraph {
        case missing
        case graph(LearnedOrderSnapshot)
        case failed(String)
    }

    /// The graph already at `path`: read with the shared file reader, never through a link.
    static func readExistingGraph(_ path: String) -> ExistingGraph {
        var existing = stat()
        guard lstat(path, &existing) == 0 else { return .missing }
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path: path, maximumSize: 256 * 1024 * 1024)
        } catch {
            return .failed(error.problem)
        }
        if bytes.isEmpty { return .missing }
        guard let graph = try? LearnedOrderSnapshot.decode(bytes) else {
            return .failed("it is not a lockorder graph file")
        }
        guard graph.schema == 1 else { return .failed("it has graph schema \(graph.schema), not 1") }
        return .graph(graph)
    }

    /// Replaces the file at `path` with `bytes`, through a temporary file in the same folder
    /// (synced before the rename). Returns the lines to print: a problem, or none.
    private static func replaceGraphFile(path: String, shown: String, with bytes: [UInt8]) -> [String] {
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
        var writeError = bytes.withUnsafeBufferPointer { writeAll(fileDescriptor: temporary, $0) }
        if writeError == 0 && fsync(temporary) != 0 { writeError = errno }
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
        return []
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
