#if canImport(Glibc)
    import Glibc
#endif

/// What a finished child process left behind.
public struct ChildProcessResult: Sendable {
    /// The exit status, or 128 + signal number when a signal ended it.
    public let status: Int32
    /// Everything it wrote to stdout.
    public let standardOutput: String
    /// Everything it wrote to stderr.
    public let standardError: String
}

/// Runs an executable with extra environment variables and collects its output (through
/// temporary files, which never block the child the way full pipes do).
public func runChildProcess(_ path: String, arguments: [String] = [], environment: [String: String] = [:])
    -> ChildProcessResult
{
    let outputFile = temporaryFile()
    let errorFile = temporaryFile()
    defer {
        close(outputFile)
        close(errorFile)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, outputFile, 1)
    posix_spawn_file_actions_adddup2(&actions, errorFile, 2)
    var variables: [String] = []
    var index = 0
    while let entry = environ[index] {
        let text = String(cString: entry)
        let name = String(text.prefix { $0 != "=" })
        if environment[name] == nil && !name.hasPrefix("LOCKORDER_") { variables.append(text) }
        index += 1
    }
    variables += environment.map { "\($0.key)=\($0.value)" }
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    let envp = variables.map { strdup($0) } + [nil]
    defer {
        for argument in argv { free(argument) }
        for variable in envp { free(variable) }
    }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
    precondition(spawned == 0, "posix_spawn \(path) failed: \(spawned)")
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ChildProcessResult(
        status: exitStatus, standardOutput: readWhole(outputFile), standardError: readWhole(errorFile))
}

private func temporaryFile() -> Int32 {
    var template = Array("/tmp/lockorder-child-XXXXXX".utf8CString)
    let file = mkstemp(&template)
    precondition(file >= 0, "mkstemp failed")
    unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    return file
}

/// Reads a file descriptor from its start to its end.
func readWhole(_ file: Int32) -> String {
    lseek(file, 0, SEEK_SET)
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(file, &buffer, buffer.count)
        if count <= 0 { break }
        bytes += buffer[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The `lockorder` binary built next to the running test executable: both live in
/// `<scratch>/debug/`, whatever scratch path the build used.
public func lockorderBinary() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    precondition(count > 0, "readlink /proc/self/exe failed: \(errno)")
    let executable = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let directory = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast()
    return directory.joined(separator: "/") + "/lockorder"
}

/// In a child process: checking in report mode (read at the first lock operation), reports on
/// standard error only, with no report or graph file inherited from the parent's environment.
public func checkInReportModeOnStandardErrorOnly() {
    setenv("LOCKORDER_CHECK", "report", 1)
    unsetenv("LOCKORDER_REPORT_FILE")
    unsetenv("LOCKORDER_GRAPH_FILE")
}
