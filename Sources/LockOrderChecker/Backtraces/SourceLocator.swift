import CLockOrderSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// LOCKORDER_SYMBOLIZE: whether report frames get their source locations.
package enum SourceLocations: Sendable, Equatable {
    /// `0`, `off`: never.
    case off
    /// Unset (the default): when llvm-symbolizer or addr2line is on PATH; without one, frames
    /// keep their names and nothing is said.
    case whenAvailable
    /// `1`, `on`: the same, and one notice line when no symbolizer is on PATH.
    case required
}

/// Finds the source location of code addresses through a symbolizer process, for report frames
/// (LOCKORDER_SYMBOLIZE, on by default).
///
/// `llvm-symbolizer` from PATH is preferred: one process, started at the first lookup and kept
/// for the life of the process, answers for every module (a few microseconds per address once
/// the module's debug information is loaded). Without it, `addr2line` is used; it reads one
/// binary per process, so there is one process per module (at most `addr2lineProcessLimit`),
/// and it gives no column. With neither, frames keep their names only (and with
/// LOCKORDER_SYMBOLIZE=1 a notice says so once). A process that exits, stalls for
/// `answerTimeoutMilliseconds` or answers something unexpected is stopped and no process is
/// used again (one notice).
///
/// No symbolizer is started or asked where that is unsafe: in a child made by `fork` that has
/// not called `exec` (only async-signal-safe calls are allowed there, and the parent's process
/// answers the parent) and in a signal handler. There frames keep what the cache already knows.
///
/// Lookups happen only while a report is produced. The process state is guarded by the
/// slow-path lock, which the reporting paths already hold (it is re-entrant): every member that
/// touches it is private, and the one way in, `locations(ofReturnAddresses:)`, takes the lock.
package final class SourceLocator: @unchecked Sendable {
    /// The process-wide locator, whose processes all reports share.
    package static let shared = SourceLocator()

    /// A symbolizer found on PATH.
    package enum Tool: Equatable, Sendable {
        /// `llvm-symbolizer` at this path: one process for every module, `file:line:column`.
        case llvmSymbolizer(String)
        /// `addr2line` at this path: one process per module, `file:line`.
        case addr2line(String)
    }

    /// How long one batch of answers may take before the process is given up on. The first
    /// answer from a module includes loading its debug information.
    static let answerTimeoutMilliseconds: Int64 = 10_000
    /// At most this many addr2line processes (one per module) run at once.
    static let addr2lineProcessLimit = 16
    /// Requests sent before their answers are read: a whole backtrace, so a report's frames
    /// cost one round trip. Their answers are short enough to wait in the socket's buffer while
    /// the requests are still being written.
    static let batchSize = Backtrace.capacity

    static let unavailableNotice =
        "lockorder: LOCKORDER_SYMBOLIZE=1 but neither llvm-symbolizer nor addr2line is on PATH; "
        + "frames keep function names only\n"

    /// How many symbolizer processes this process has started, for tests (a forked child or a
    /// signal handler starts none).
    package static let startedProcessCount = Atomic<Int>(0)

    private var hasSearched = false
    private var tool: Tool?
    /// Running processes: llvm-symbolizer under "", addr2line under its module's path.
    private var processes: [String: SymbolizerProcess] = [:]
    private var hasFailed = false
    /// The process the children were started by (a forked child starts its own).
    private var owner: pid_t = 0

    /// The source location of each return address: `file:line:column`, or `file:line` when the
    /// column is unknown; nil when it is unknown or the symbolizer failed. Nil for all of them
    /// when no symbolizer was asked: none is on PATH, one failed before, or none may be used
    /// here (`mayUseProcesses`). `announcingAbsence`: say once when no symbolizer is on PATH
    /// (LOCKORDER_SYMBOLIZE=1).
    package func locations(ofReturnAddresses addresses: [UInt], announcingAbsence: Bool = true) -> [String?]?
    {
        SlowPathLock.withLock { lookUpHoldingSlowPathLock(addresses, announcingAbsence: announcingAbsence) }
    }

    /// Whether a symbolizer may be started or asked here: not in a forked child that has not
    /// called exec, not in a signal handler.
    static var mayUseProcesses: Bool {
        lockorder_is_forked_child() == 0 && lockorder_is_in_signal_handler() == 0
    }

    private func lookUpHoldingSlowPathLock(_ addresses: [UInt], announcingAbsence: Bool) -> [String?]? {
        guard let tool = availableTool(announcingAbsence: announcingAbsence), Self.mayUseProcesses else {
            return nil
        }
        var results = [String?](repeating: nil, count: addresses.count)
        // Requests grouped by the process that answers them, in first-seen order.
        var keys: [String] = []
        var requests: [String: [(index: Int, line: String)]] = [:]
        for (index, address) in addresses.enumerated() {
            guard let (module, offset) = Self.moduleAndOffset(ofReturnAddress: address) else { continue }
            let key: String
            let line: String
            switch tool {
            case .llvmSymbolizer:
                key = ""
                line = "\"\(module)\" 0x\(String(offset, radix: 16))\n"
            case .addr2line:
                key = module
                line = "0x\(String(offset, radix: 16))\n"
            }
            if requests[key] == nil { keys.append(key) }
            requests[key, default: []].append((index, line))
        }
        for key in keys {
            let group = requests[key]!
            for start in stride(from: 0, to: group.count, by: Self.batchSize) {
                let batch = group[start..<min(start + Self.batchSize, group.count)]
                guard !hasFailed, let process = process(key, tool) else { break }
                guard let answers = exchange(batch.map(\.line), with: process, tool) else {
                    giveUp(tool, "exited, stalled or answered unexpectedly")
                    return results
                }
                for (request, answer) in zip(batch, answers) { results[request.index] = answer }
            }
        }
        return results
    }

    /// The tool, searched for on PATH at the first lookup; prints the notice when there is none
    /// and `announcingAbsence`.
    private func availableTool(announcingAbsence: Bool) -> Tool? {
        if !hasSearched {
            hasSearched = true
            tool = Self.findTool(searchPath: environmentValue("PATH"))
            if tool == nil && announcingAbsence { StandardError.write(Self.unavailableNotice) }
        }
        return hasFailed ? nil : tool
    }

    /// The process for `key`, started when there is none yet.
    private func process(_ key: String, _ tool: Tool) -> SymbolizerProcess? {
        let me = getpid()
        if owner != me {
            // Forked: the processes answer the parent; leave them to it.
            for process in processes.values { process.abandon() }
            processes = [:]
            owner = me
        }
        if let process = processes[key] { return process }
        let started: SymbolizerProcess?
        switch tool {
        case .llvmSymbolizer(let executable):
            started = SymbolizerProcess.start(
                executable, ["--functions=none", "--inlines", "--output-style=LLVM"])
        case .addr2line(let executable):
            if processes.count >= Self.addr2lineProcessLimit { return nil }
            started = SymbolizerProcess.start(executable, ["-e", key])
        }
        guard let started else {
            giveUp(tool, "could not be started")
            return nil
        }
        processes[key] = started
        return started
    }

    /// Sends a batch of requests and reads one answer each; nil when the process fails.
    private func exchange(_ lines: [String], with process: SymbolizerProcess, _ tool: Tool) -> [String?]? {
        let deadline = monotonicMilliseconds() + Self.answerTimeoutMilliseconds
        guard process.send(lines.joined(), deadline: deadline) else { return nil }
        var answers: [String?] = []
        for _ in lines {
            switch tool {
            case .llvmSymbolizer:
                // One line per inlined frame, innermost first, then an empty line.
                guard let first = process.readLine(deadline: deadline),
                    let answer = Self.parseLLVMSymbolizerLine(first)
                else { return nil }
                while true {
                    guard let more = process.readLine(deadline: deadline) else { return nil }
                    if more.isEmpty { break }
                }
                answers.append(answer)
            case .addr2line:
                guard let line = process.readLine(deadline: deadline),
                    let answer = Self.parseAddr2lineLine(line)
                else { return nil }
                answers.append(answer)
            }
        }
        return answers
    }

    /// Stops every process and uses none again; prints one notice.
    private func giveUp(_ tool: Tool, _ what: String) {
        if hasFailed { return }
        hasFailed = true
        for process in processes.values { process.stop() }
        processes = [:]
        let name =
            switch tool {
            case .llvmSymbolizer: "llvm-symbolizer"
            case .addr2line: "addr2line"
            }
        StandardError.write(
            "lockorder: \(name) \(what); it is not used again and frames keep function names only\n")
    }

    // MARK: Pieces

    /// The first llvm-symbolizer, else addr2line, among the directories of `searchPath`.
    package static func findTool(searchPath: String?) -> Tool? {
        guard let searchPath, !searchPath.isEmpty else { return nil }
        let directories = searchPath.split(separator: ":", omittingEmptySubsequences: false).map {
            $0.isEmpty ? "." : String($0)
        }
        func find(_ name: String) -> String? {
            for directory in directories {
                let candidate = directory + "/" + name
                var status = stat()
                if stat(candidate, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
                    access(candidate, X_OK) == 0
                {
                    return candidate
                }
            }
            return nil
        }
        if let path = find("llvm-symbolizer") { return .llvmSymbolizer(path) }
        if let path = find("addr2line") { return .addr2line(path) }
        return nil
    }

    /// The readable file of the module that contains a return address, and the address of the
    /// call instruction (the byte before the return address) within that file.
    static func moduleAndOffset(ofReturnAddress address: UInt) -> (module: String, offset: UInt)? {
        var path: UnsafePointer<CChar>?
        var bias: UInt = 0
        var isMainProgram: Int32 = 0
        guard address > 0, lockorder_module_bias(address, &path, &bias, &isMainProgram) == 0, let path,
            address - 1 >= bias
        else { return nil }
        // The executable's dladdr name is argv[0], which need not be a path.
        let module = isMainProgram != 0 ? "/proc/\(getpid())/exe" : String(cString: path)
        guard !module.contains("\""), !module.contains("\n"), access(module, R_OK) == 0 else { return nil }
        return (module, address - 1 - bias)
    }

    /// One answer line of llvm-symbolizer (`FILE:LINE:COLUMN`): `.some(nil)` when the location
    /// is unknown (`??:0:0`), nil when the line is not of that form.
    static func parseLLVMSymbolizerLine(_ line: String) -> String?? {
        let parts = line.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, let lineNumber = UInt(parts[parts.count - 2]),
            let column = UInt(parts[parts.count - 1])
        else { return nil }
        let file = parts.dropLast(2).joined(separator: ":")
        if file.isEmpty || file == "??" || lineNumber == 0 { return .some(nil) }
        return column == 0 ? "\(file):\(lineNumber)" : "\(file):\(lineNumber):\(column)"
    }

    /// One answer line of addr2line (`FILE:LINE`, perhaps with ` (discriminator N)`):
    /// `.some(nil)` when the location is unknown (`??:0`, `FILE:?`), nil when the line is not
    /// of that form.
    static func parseAddr2lineLine(_ line: String) -> String?? {
        var text = Substring(line)
        if let suffix = text.firstRange(of: " (discriminator ") { text = text[..<suffix.lowerBound] }
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let file = text[..<colon]
        let number = text[text.index(after: colon)...]
        if number == "?" { return .some(nil) }
        guard let lineNumber = UInt(number) else { return nil }
        if file.isEmpty || file == "??" || lineNumber == 0 { return .some(nil) }
        return "\(file):\(lineNumber)"
    }
}

/// A child process spoken to through a socket pair: requests on its stdin, answers on its
/// stdout, its stderr discarded.
///
/// A socket rather than a pipe, so that writing to a child that has died fails with EPIPE
/// (`MSG_NOSIGNAL`) instead of ending the whole process with SIGPIPE.
private final class SymbolizerProcess {
    private let pid: pid_t
    private let socket: Int32
    /// Bytes read past the last line handed out.
    private var received: [UInt8] = []

    private init(pid: pid_t, socket: Int32) {
        self.pid = pid
        self.socket = socket
    }

    /// Starts `executable` with `arguments`; nil when it cannot be started.
    static func start(_ executable: String, _ arguments: [String]) -> SymbolizerProcess? {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0
        else {
            return nil
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let environment = childEnvironment()
        defer { for variable in environment { free(variable) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environment)
        close(ends[1])
        guard spawned == 0 else {
            close(ends[0])
            return nil
        }
        SourceLocator.startedProcessCount.wrappingAdd(1, ordering: .relaxed)
        return SymbolizerProcess(pid: pid, socket: ends[0])
    }

    /// This process's environment without the LOCKORDER_* variables, NULL-terminated: under the
    /// pthread interposer (LD_PRELOAD, which the child inherits) the symbolizer would otherwise
    /// be checked too, and write its own summary to the report file and its order to the graph
    /// file.
    private static func childEnvironment() -> [UnsafeMutablePointer<CChar>?] {
        var variables: [UnsafeMutablePointer<CChar>?] = []
        var index = 0
        while let variable = environ[index] {
            index += 1
            if strncmp(variable, "LOCKORDER_", 10) == 0 { continue }
            variables.append(strdup(variable))
        }
        return variables + [nil]
    }

    /// Writes all of `text`; false when the child is gone or does not read before `deadline`.
    func send(_ text: String, deadline: Int64) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            guard waitUntilReady(Int16(POLLOUT), deadline: deadline) else { return false }
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.send(
                    socket, buffer.baseAddress! + sent, buffer.count - sent,
                    Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return false
            }
            sent += count
        }
        return true
    }

    /// The next line of output without its newline; nil at end of file, on an error, after
    /// `deadline`, or for an absurdly long line.
    func readLine(deadline: Int64) -> String? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = received.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: received[..<newline], as: UTF8.self)
                received.removeSubrange(...newline)
                return line
            }
            guard received.count < 65536, waitUntilReady(Int16(POLLIN), deadline: deadline) else {
                return nil
            }
            let count = chunk.withUnsafeMutableBytes { buffer in
                recv(socket, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            }
            if count > 0 {
                received += chunk[..<count]
            } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                return nil
            }
        }
    }

    /// Ends the child and reaps it.
    func stop() {
        close(socket)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Lets go of a child that belongs to the parent of a fork: closes this process's copy of
    /// the socket only.
    func abandon() {
        close(socket)
    }

    private func waitUntilReady(_ events: Int16, deadline: Int64) -> Bool {
        while true {
            let remaining = deadline - monotonicMilliseconds()
            if remaining <= 0 { return false }
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let result = poll(&descriptor, 1, Int32(min(remaining, Int64(Int32.max))))
            // Readiness includes hang-up and error, which the following call then reports.
            if result > 0 { return true }
            if result == 0 || errno != EINTR { return false }
        }
    }
}

private func monotonicMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}
