#if canImport(Glibc)
    import Glibc
#endif

/// Writes LOCKORDER_GRAPH_FILE so that many processes can share one file: each merges its run
/// into what is there, under an exclusive `flock` on `FILE.lock`, and replaces the file by an
/// atomic rename of a complete temporary file. A reader never sees a half-written file, and
/// writers that finish at the same moment take turns, so no run's edges are lost.
enum GraphFileWriter {
    /// Merges `run` into the file at `path` (creating it); a failure is one line on stderr and
    /// leaves the file as it was.
    static func merge(_ run: LearnedOrderSnapshot, into path: String) {
        let label = "lockorder: LOCKORDER_GRAPH_FILE '\(path)'"
        let lockPath = path + ".lock"
        let lockDescriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lockDescriptor >= 0 else {
            StandardError.write("\(label): cannot open '\(lockPath)': \(String(cString: strerror(errno)))\n")
            return
        }
        defer { close(lockDescriptor) }
        while flock(lockDescriptor, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            StandardError.write("\(label): cannot lock '\(lockPath)': \(String(cString: strerror(errno)))\n")
            return
        }
        defer { flock(lockDescriptor, LOCK_UN) }

        var merged = run
        switch readExisting(path) {
        case .missing:
            break
        case .graph(let existing):
            merged = existing.merging(run)
        case .failed(let reason):
            StandardError.write("\(label): \(reason); left as it is, this run's graph is not written\n")
            return
        }
        let bytes: [UInt8]
        do {
            bytes = try merged.encoded()
        } catch {
            StandardError.write("\(label): could not encode the graph: \(error)\n")
            return
        }
        let temporaryPath = "\(path).\(getpid()).tmp"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            StandardError.write(
                "\(label): cannot create '\(temporaryPath)': \(String(cString: strerror(errno)))\n")
            return
        }
        bytes.withUnsafeBufferPointer { writeAll(fileDescriptor: descriptor, $0) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard synced, rename(temporaryPath, path) == 0 else {
            StandardError.write("\(label): cannot replace it: \(String(cString: strerror(errno)))\n")
            unlink(temporaryPath)
            return
        }
    }

    enum Existing {
        case missing
        case graph(LearnedOrderSnapshot)
        case failed(String)
    }

    /// The graph already at `path`, if any.
    static func readExisting(_ path: String) -> Existing {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            return errno == ENOENT ? .missing : .failed("cannot read it: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                return .failed("cannot read it: \(String(cString: strerror(errno)))")
            }
            bytes += buffer[0..<count]
        }
        if bytes.isEmpty { return .missing }
        guard let graph = try? LearnedOrderSnapshot.decode(bytes) else {
            return .failed("it is not a lockorder graph file")
        }
        guard graph.schema == 1 else { return .failed("it has graph schema \(graph.schema), not 1") }
        return .graph(graph)
    }
}
