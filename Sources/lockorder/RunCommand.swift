import ArgumentParser
import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// `lockorder run -- PROGRAM ARGS`: runs a program with the pthread interposer preloaded and
/// checking on, so that every pthread lock it takes is checked (docs/interpose.md).
///
/// The interposer is `libLockOrderInterpose.so` next to this executable (where `swift build`
/// puts both), or the file LOCKORDER_INTERPOSE_LIBRARY names. LOCKORDER_CHECK defaults to 1;
/// every other LOCKORDER_* variable is passed through. The program replaces this process
/// (exec), so its exit status is the command's.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a program with every pthread lock it takes checked (LD_PRELOAD of the interposer).",
        discussion: """
            Example: lockorder run -- ./my-server --port 8080. Reports go to stderr as for the \
            lock types; LOCKORDER_CHECK=abort stops at the first one. See docs/interpose.md.
            """)

    @Argument(parsing: .captureForPassthrough, help: "The program and its arguments.")
    var command: [String] = []

    func run() throws {
        let arguments = command.first == "--" ? Array(command.dropFirst()) : command
        guard let program = arguments.first else {
            StandardError.write("lockorder run: no program given (lockorder run -- PROGRAM ARGS)\n")
            throw ExitCode.failure
        }
        let library = Self.interposerPath()
        guard access(library, R_OK) == 0 else {
            StandardError.write(
                "lockorder run: the interposer \(library) is missing (swift build --product LockOrderInterpose)\n"
            )
            throw ExitCode.failure
        }
        let preload = getenv("LD_PRELOAD").map { String(cString: $0) } ?? ""
        setenv("LD_PRELOAD", preload.isEmpty ? library : "\(library):\(preload)", 1)
        if getenv("LOCKORDER_CHECK") == nil { setenv("LOCKORDER_CHECK", "1", 1) }
        let argv = arguments.map { strdup($0) } + [nil]
        execvp(program, argv)
        StandardError.write("lockorder run: cannot run \(program): \(String(cString: strerror(errno)))\n")
        throw ExitCode(127)
    }

    /// LOCKORDER_INTERPOSE_LIBRARY, or the library next to this executable.
    static func interposerPath() -> String {
        if let path = getenv("LOCKORDER_INTERPOSE_LIBRARY") { return String(cString: path) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return "libLockOrderInterpose.so" }
        let executable = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return executable.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(
            separator: "/")
            + "/libLockOrderInterpose.so"
    }
}
