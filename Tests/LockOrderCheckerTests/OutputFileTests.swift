import Foundation
import LockCore
import LockOrderTestSupport
import Testing

@testable import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// The files named by LOCKORDER_HIERARCHY, LOCKORDER_REPORT_FILE and LOCKORDER_GRAPH_FILE
/// never hang the process and are never written through someone else's link
/// (docs/report-format.md, "Environment variables"). Each case runs in a child process (an exit
/// test) that sets the variables, uses a lock and exits; the child stops itself with SIGALRM
/// after 10 seconds, so a hang fails the test instead of stalling the suite.
@Suite("Output files", .serialized)
struct OutputFileTests {
    /// A folder of the test's own, named after the parent process so that the child computes it too.
    static func folder(parent: pid_t) -> String { "/tmp/lockorder-output-files-\(parent)" }

    static func makeFolder() -> String {
        let path = folder(parent: getpid())
        _ = try? FileManager.default.removeItem(atPath: path)
        mkdir(path, 0o755)
        return path
    }

    /// In the child: checking on, the variables set, one level inversion, exit through atexit.
    static func runChild(_ variables: [String: String]) -> Never {
        endProcessIfStillRunning(afterSeconds: 10)
        setenv("LOCKORDER_CHECK", "report", 1)
        unsetenv("LOCKORDER_HIERARCHY")
        unsetenv("LOCKORDER_REPORT_FILE")
        unsetenv("LOCKORDER_GRAPH_FILE")
        for (name, value) in variables { setenv(name, value, 1) }
        let typecache = CheckedMutex(declared: "typecache_lock")
        let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
        typecache.withLock { methodTable.withLock {} }
        exit(0)
    }

    static func lines(_ result: ExitTest.Result?) -> [String] {
        String(decoding: result?.standardErrorContent ?? [], as: UTF8.self).split(separator: "\n").map(
            String.init)
    }

    @Test("a FIFO as the hierarchy, the report file and the graph file: one line each, and no hang")
    func fifosDoNotHang() async throws {
        let folder = Self.makeFolder()
        defer { _ = try? FileManager.default.removeItem(atPath: folder) }
        for name in ["hierarchy", "report", "graph"] { mkfifo("\(folder)/\(name)", 0o644) }
        let result = await #expect(
            processExitsWith: .success, observing: [\.standardErrorContent],
            "a FIFO hung the child (killed by SIGALRM after 10 s)"
        ) {
            let folder = OutputFileTests.folder(parent: getppid())
            OutputFileTests.runChild([
                "LOCKORDER_HIERARCHY": "\(folder)/hierarchy", "LOCKORDER_REPORT_FILE": "\(folder)/report",
                "LOCKORDER_GRAPH_FILE": "\(folder)/graph",
            ])
        }
        let lines = Self.lines(result)
        #expect(
            lines.contains(
                "lockorder: hierarchy '\(folder)/hierarchy': cannot open file: not a regular file "
                    + "(checking goes on with the built-in julia hierarchy)"), "\(lines)")
        #expect(
            lines.contains(
                "lockorder: LOCKORDER_REPORT_FILE '\(folder)/report': is a FIFO with no reader: not a regular file "
                    + "(reports go to stderr only)"), "\(lines)")
        #expect(
            lines.contains(
                "lockorder: LOCKORDER_GRAPH_FILE '\(folder)/graph' is not a regular file; the graph is not written"
            ),
            "\(lines)")
    }

    @Test(
        "the graph file never writes through a symbolic link, dangling or not; the linked file is untouched")
    func graphFileRefusesSymbolicLinks() async throws {
        let folder = Self.makeFolder()
        defer { _ = try? FileManager.default.removeItem(atPath: folder) }
        try "precious\n".write(toFile: "\(folder)/precious", atomically: false, encoding: .utf8)
        symlink("\(folder)/precious", "\(folder)/graph")
        symlink("\(folder)/nowhere", "\(folder)/dangling")
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            OutputFileTests.runChild([
                "LOCKORDER_GRAPH_FILE": "\(OutputFileTests.folder(parent: getppid()))/graph"
            ])
        }
        #expect(
            Self.lines(result).contains(
                "lockorder: LOCKORDER_GRAPH_FILE '\(folder)/graph' is a symbolic link; the graph is not written through it"
            ))
        #expect(try String(contentsOfFile: "\(folder)/precious", encoding: .utf8) == "precious\n")
        let dangling = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            OutputFileTests.runChild([
                "LOCKORDER_GRAPH_FILE": "\(OutputFileTests.folder(parent: getppid()))/dangling"
            ])
        }
        #expect(
            Self.lines(dangling).contains {
                $0.hasSuffix("is a symbolic link; the graph is not written through it")
            })
        #expect(access("\(folder)/nowhere", F_OK) != 0, "nothing was created through the dangling link")
        // A link to a graph file kept elsewhere: a merge through it would rewrite that graph.
        let kept = LearnedOrderSnapshot(
            schema: 1,
            classes: [.init(name: "kept_outer", level: nil), .init(name: "kept_inner", level: nil)],
            edges: [
                .init(
                    from: "kept_outer", to: "kept_inner", count: 1, heldAt: "K.swift:1",
                    acquiredAt: "K.swift:2",
                    thread: "main")
            ], violations: [])
        try Data(kept.encoded()).write(to: URL(fileURLWithPath: "\(folder)/kept.json"))
        let keptBytes = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/kept.json"))
        symlink("\(folder)/kept.json", "\(folder)/linked-graph.json")
        let linkedGraph = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            OutputFileTests.runChild([
                "LOCKORDER_GRAPH_FILE": "\(OutputFileTests.folder(parent: getppid()))/linked-graph.json"
            ])
        }
        #expect(
            Self.lines(linkedGraph).contains(
                "lockorder: LOCKORDER_GRAPH_FILE '\(folder)/linked-graph.json' is a symbolic link; "
                    + "the graph is not written through it"), "\(Self.lines(linkedGraph))")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: "\(folder)/kept.json")) == keptBytes,
            "the graph behind the link is untouched")
        var link = stat()
        #expect(lstat("\(folder)/linked-graph.json", &link) == 0 && (link.st_mode & S_IFMT) == S_IFLNK)
    }

    @Test("the graph file at the report file's path is refused; the report lines survive")
    func graphFileRefusesTheReportFile() async throws {
        let folder = Self.makeFolder()
        defer { _ = try? FileManager.default.removeItem(atPath: folder) }
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let path = "\(OutputFileTests.folder(parent: getppid()))/both.jsonl"
            OutputFileTests.runChild(["LOCKORDER_REPORT_FILE": path, "LOCKORDER_GRAPH_FILE": path])
        }
        #expect(
            Self.lines(result).contains(
                "lockorder: LOCKORDER_GRAPH_FILE '\(folder)/both.jsonl' is also LOCKORDER_REPORT_FILE; the graph is not written"
            ))
        let report = try String(contentsOfFile: "\(folder)/both.jsonl", encoding: .utf8).split(
            separator: "\n")
        #expect(report.count == 2, "the violation line and the summary line")
        #expect(report.first?.contains(#""kind":"level_inversion""#) == true)
    }

    @Test("an existing file that is not a graph is left as it is, and the line says so")
    func graphFileLeavesANonGraphFile() async throws {
        let folder = Self.makeFolder()
        defer { _ = try? FileManager.default.removeItem(atPath: folder) }
        let old = String(repeating: "old contents, longer than the graph\n", count: 2000)
        try old.write(toFile: "\(folder)/graph.json", atomically: false, encoding: .utf8)
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let folder = OutputFileTests.folder(parent: getppid())
            OutputFileTests.runChild(["LOCKORDER_GRAPH_FILE": "\(folder)/graph.json"])
        }
        #expect(
            Self.lines(result).contains(
                "lockorder: LOCKORDER_GRAPH_FILE '\(folder)/graph.json': it is not a lockorder graph file; "
                    + "left as it is, this run's graph is not written"), "\(Self.lines(result))")
        #expect(try String(contentsOfFile: "\(folder)/graph.json", encoding: .utf8) == old)
    }

    @Test("an existing graph file is merged into silently (under FILE.lock); no temporary file is left")
    func graphFileMergesIntoAGraph() async throws {
        let folder = Self.makeFolder()
        defer { _ = try? FileManager.default.removeItem(atPath: folder) }
        let earlier = LearnedOrderSnapshot(
            schema: 1,
            classes: [.init(name: "earlier_outer", level: nil), .init(name: "earlier_inner", level: nil)],
            edges: [
                .init(
                    from: "earlier_outer", to: "earlier_inner", count: 1, heldAt: "E.swift:1",
                    acquiredAt: "E.swift:2",
                    thread: "main")
            ], violations: [])
        try Data(earlier.encoded()).write(to: URL(fileURLWithPath: "\(folder)/graph.json"))
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let folder = OutputFileTests.folder(parent: getppid())
            OutputFileTests.runChild(["LOCKORDER_GRAPH_FILE": "\(folder)/graph.json"])
        }
        #expect(!Self.lines(result).contains { $0.contains("LOCKORDER_GRAPH_FILE") }, "\(Self.lines(result))")
        let merged = try LearnedOrderSnapshot.decode(
            Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/graph.json"))))
        let pairs = Set(merged.edges.map { "\($0.from) -> \($0.to)" })
        #expect(pairs.contains("earlier_outer -> earlier_inner"), "the earlier run's edge is kept")
        #expect(merged.classes.contains { $0.name == "typecache_lock" }, "this run's classes are added")
        #expect(merged.violations.map(\.kind) == [.levelInversion], "and its violation")
        #expect(merged.runs?.count == 1, "this run is listed")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(names.sorted() == ["graph.json", "graph.json.lock"], "no temporary file is left behind")
    }

    @Test(
        "a graph file's lock file that is a symbolic link or a FIFO is refused; the linked file is untouched")
    func graphLockFileRefusesLinksAndFIFOs() async throws {
        let folder = Self.makeFolder()
        defer { _ = try? FileManager.default.removeItem(atPath: folder) }
        try "precious\n".write(toFile: "\(folder)/precious", atomically: false, encoding: .utf8)
        symlink("\(folder)/precious", "\(folder)/linked.json.lock")
        mkfifo("\(folder)/fifo.json.lock", 0o644)
        let linked = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            OutputFileTests.runChild([
                "LOCKORDER_GRAPH_FILE": "\(OutputFileTests.folder(parent: getppid()))/linked.json"
            ])
        }
        #expect(
            Self.lines(linked).contains(
                "lockorder: LOCKORDER_GRAPH_FILE '\(folder)/linked.json': its lock file '\(folder)/linked.json.lock' "
                    + "is a symbolic link; the graph is not written"), "\(Self.lines(linked))")
        #expect(try String(contentsOfFile: "\(folder)/precious", encoding: .utf8) == "precious\n")
        #expect(access("\(folder)/linked.json", F_OK) != 0)
        let fifo = await #expect(
            processExitsWith: .success, observing: [\.standardErrorContent],
            "a FIFO lock file hung the child (killed by SIGALRM after 10 s)"
        ) {
            OutputFileTests.runChild([
                "LOCKORDER_GRAPH_FILE": "\(OutputFileTests.folder(parent: getppid()))/fifo.json"
            ])
        }
        #expect(
            Self.lines(fifo).contains(
                "lockorder: LOCKORDER_GRAPH_FILE '\(folder)/fifo.json': its lock file '\(folder)/fifo.json.lock' "
                    + "is not a regular file; the graph is not written"), "\(Self.lines(fifo))")
        #expect(access("\(folder)/fifo.json", F_OK) != 0)
    }

    @Test(
        "a report file and a graph file that take no bytes (a full disk): said once with errno, lost lines counted"
    )
    func writeFailuresAreSaid() async throws {
        let folder = Self.makeFolder()
        defer { _ = try? FileManager.default.removeItem(atPath: folder) }
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            // A file size limit of 0 makes every write to a regular file fail (EFBIG), as a full disk would.
            signal(SIGXFSZ, SIG_IGN)
            var limit = rlimit(rlim_cur: 0, rlim_max: 0)
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
            endProcessIfStillRunning(afterSeconds: 10)
            let folder = OutputFileTests.folder(parent: getppid())
            setenv("LOCKORDER_CHECK", "report", 1)
            setenv("LOCKORDER_REPORT_FILE", "\(folder)/report.jsonl", 1)
            setenv("LOCKORDER_GRAPH_FILE", "\(folder)/graph.json", 1)
            unsetenv("LOCKORDER_HIERARCHY")
            let typecache = CheckedMutex(declared: "typecache_lock")
            let libmap = CheckedMutex(declared: "libmap_lock")
            let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
            typecache.withLock { methodTable.withLock {} }
            typecache.withLock { libmap.withLock {} }
            exit(0)
        }
        let lines = Self.lines(result).filter { !$0.hasPrefix("  ") }
        let failure =
            "lockorder: LOCKORDER_REPORT_FILE '\(folder)/report.jsonl': write failed: File too large (errno 27); "
            + "lines not written are counted in the exit summary"
        #expect(lines.filter { $0 == failure }.count == 1, "\(lines)")
        #expect(
            lines.contains("lockorder: 2 distinct violations, 2 occurrences; 3 report file lines lost"),
            "\(lines)")
        #expect(
            lines.contains(
                "lockorder: LOCKORDER_GRAPH_FILE '\(folder)/graph.json': write failed: File too large (errno 27); "
                    + "the graph is not written"), "\(lines)")
        #expect(access("\(folder)/graph.json", F_OK) != 0)
    }

    @Test("a report file that is a symbolic link owned by another user is not followed; one owned by us is")
    func reportFileSymbolicLinkRule() async throws {
        try #require(geteuid() == 0, "changing a link's owner needs root")
        let folder = Self.makeFolder()
        defer { _ = try? FileManager.default.removeItem(atPath: folder) }
        symlink("\(folder)/target.jsonl", "\(folder)/theirs.jsonl")
        lchown("\(folder)/theirs.jsonl", 65534, 65534)
        let refused = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            OutputFileTests.runChild([
                "LOCKORDER_REPORT_FILE": "\(OutputFileTests.folder(parent: getppid()))/theirs.jsonl"
            ])
        }
        #expect(
            Self.lines(refused).contains(
                "lockorder: LOCKORDER_REPORT_FILE '\(folder)/theirs.jsonl': is a symbolic link owned by another user "
                    + "(uid 65534); it is not followed (reports go to stderr only)"))
        #expect(access("\(folder)/target.jsonl", F_OK) != 0)
        symlink("\(folder)/target.jsonl", "\(folder)/mine.jsonl")
        let followed = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            OutputFileTests.runChild([
                "LOCKORDER_REPORT_FILE": "\(OutputFileTests.folder(parent: getppid()))/mine.jsonl"
            ])
        }
        #expect(!Self.lines(followed).contains { $0.contains("LOCKORDER_REPORT_FILE") })
        #expect(
            try String(contentsOfFile: "\(folder)/target.jsonl", encoding: .utf8).contains("level_inversion"))
    }
}
