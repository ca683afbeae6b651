import Foundation
import LockOrderTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The pthread interposer (docs/interpose.md): programs that know nothing of lockorder, run in
/// child processes with LD_PRELOAD=libLockOrderInterpose.so, their reports read from stderr.
@Suite("The pthread interposer", .serialized)
struct InterposeTests {
    /// A file built next to the test executable.
    static func built(_ name: String) -> String {
        let tool = lockorderBinary()
        return String(tool.dropLast("lockorder".count)) + name
    }

    static let library = built("libLockOrderInterpose.so")

    /// Runs the Swift fixture's scenario (or the C fixture with `c: true`) under the interposer.
    static func run(
        _ scenario: String, c: Bool = false, checking: String? = "1", extra: [String: String] = [:]
    ) -> ChildProcessResult {
        var environment = extra
        environment["LD_PRELOAD"] = library
        if let checking { environment["LOCKORDER_CHECK"] = checking }
        let fixture = built(c ? "lockorder-interpose-fixture-c" : "lockorder-interpose-fixture")
        return runChildProcess(fixture, arguments: [scenario], environment: environment)
    }

    /// The report headlines (`lockorder: KIND: ...`) in a child's stderr.
    static func headlines(_ result: ChildProcessResult) -> [String] {
        result.standardError.split(separator: "\n").map(String.init).filter {
            $0.hasPrefix("lockorder: ") && !$0.hasPrefix("lockorder: capacity")
                && !$0.hasPrefix("lockorder: suppressed")
                && !$0.contains("distinct violation") && !isCleanRunLine($0)
        }
    }

    @Test("ABBA on raw pthread mutexes from Swift (two threads): one order cycle, with the lock sites")
    func swiftABBA() {
        let result = Self.run("abba")
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "abba done\n")
        let headlines = Self.headlines(result)
        #expect(headlines.count == 1, "\(result.standardError)")
        #expect(
            headlines.first?.hasPrefix("lockorder: order cycle: acquiring pthread mutex initialised at ")
                == true)
        #expect(
            result.standardError.contains("abba()"), "the sites name the Swift function that made the locks")
        #expect(result.standardError.contains("lockorder: 1 distinct violation"))
    }

    @Test("ABBA on raw pthread mutexes from C: reported with the C functions in the sites")
    func cABBA() {
        let result = Self.run("abba", c: true)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "c done\n")
        let headlines = Self.headlines(result)
        #expect(headlines.count == 1, "\(result.standardError)")
        #expect(headlines.first?.contains("order cycle") == true)
        #expect(result.standardError.contains("make_lock"))
        #expect(result.standardError.contains("rebuild_index_then_cache"), "the backtrace names the C caller")
    }

    @Test(
        "by default the C program's frames get file:line; the symbolizer starts without LOCKORDER_*, so it is not checked",
        .enabled(if: executableOnPath("llvm-symbolizer") != nil, "needs llvm-symbolizer on PATH"))
    func symbolizerUnderTheInterposerIsNotChecked() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        // A llvm-symbolizer that writes down its environment, then is the real one. The child
        // inherits LD_PRELOAD: with LOCKORDER_CHECK too it would be checked, and at its exit
        // it would write its own summary to the report file and its order to the graph file.
        let real = try #require(executableOnPath("llvm-symbolizer"))
        let script = "#!/bin/sh\n/usr/bin/env > '\(directory)/environment'\nexec '\(real)' \"$@\"\n"
        try script.write(toFile: directory + "/llvm-symbolizer", atomically: true, encoding: .utf8)
        chmod(directory + "/llvm-symbolizer", 0o755)
        let path = directory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")
        let result = Self.run(
            "abba", c: true, extra: ["PATH": path, "LOCKORDER_REPORT_FILE": directory + "/reports.jsonl"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(
            result.standardError.contains("/InterposeFixtures/CFixture/main.c:"), "\(result.standardError)")
        let environment = try String(contentsOfFile: directory + "/environment", encoding: .utf8)
        let variables = environment.split(separator: "\n")
        #expect(variables.contains { $0.hasPrefix("LD_PRELOAD=") })
        #expect(!variables.contains { $0.hasPrefix("LOCKORDER_") }, "\(variables)")
    }

    @Test("the same C program taking its locks in one order: nothing reported")
    func cInOrder() {
        let result = Self.run("in-order", c: true)
        #expect(result.status == 0)
        #expect(isCleanRunLine(result.standardError.dropLast()), "\(result.standardError)")
    }

    @Test("timedlock then clocklock in the other order (C): a cycle, and both calls still take the lock")
    func timedMutexCycle() {
        let result = Self.run("timed-abba", c: true)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "timed mutexes 0 0 0 0\nc done\n")
        let headlines = Self.headlines(result)
        #expect(headlines.count == 1, "\(result.standardError)")
        #expect(
            headlines.first?.contains("order cycle: acquiring pthread mutex initialised at make_lock") == true
        )
        #expect(result.standardError.contains("timed_mutexes"), "the backtrace names the C caller")
    }

    @Test("timedlock and clocklock in one order (C): nothing reported")
    func timedMutexInOrder() {
        let result = Self.run("timed-in-order", c: true)
        #expect(result.standardOutput == "timed mutexes 0 0 0 0\nc done\n")
        #expect(withoutCleanRunLine(result.standardError) == "", "\(result.standardError)")
    }

    @Test("rwlock timed and clock variants (C): write/read in both orders is a cycle")
    func timedRWLockCycle() {
        let result = Self.run("timed-rwlocks", c: true)
        #expect(result.standardOutput == "timed rwlocks 0 0 0 0\nc done\n")
        let headlines = Self.headlines(result)
        #expect(headlines.count == 1, "\(result.standardError)")
        #expect(headlines.first?.contains("order cycle: acquiring pthread rwlock") == true)
    }

    @Test("pthread_cond_clockwait takes its mutex back under a lock taken after it (C): a cycle")
    func clockWaitCycle() {
        let result = Self.run("clock-wait", c: true)
        #expect(result.standardOutput == "clock wait ETIMEDOUT\nc done\n")
        let headlines = Self.headlines(result)
        #expect(headlines.count == 1, "\(result.standardError)")
        #expect(headlines.first?.contains("order cycle") == true)
    }

    @Test("pthread_cond_clockwait with nothing else held (C): nothing reported, ETIMEDOUT as without")
    func clockWaitClean() {
        let result = Self.run("clock-wait-clean", c: true)
        #expect(result.standardOutput == "clock wait ETIMEDOUT\nc done\n")
        #expect(withoutCleanRunLine(result.standardError) == "", "\(result.standardError)")
    }

    @Test(
        "a release reached by a tail call from the Swift runtime (a swift_once initialiser) is seen: no held_at_exit"
    )
    func tailCallReleaseFromTheRuntime() {
        let result = Self.run("tail-unlock-from-runtime", c: true)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "initialised once\nc done\n")
        #expect(Self.headlines(result).isEmpty, "\(result.standardError)")
        #expect(!result.standardError.contains("held at exit"), "\(result.standardError)")
    }

    @Test("a fatal error prints its backtrace and ends the process: the unwinder's own locks pass through")
    func fatalErrorBacktrace() {
        // Under `timeout -s KILL` (the stuck child blocks SIGTERM): before the fix the unwinder
        // waited for its own mutex forever; a hang must fail this test, not stop the suite.
        var environment = ["LD_PRELOAD": Self.library, "LOCKORDER_CHECK": "1"]
        environment["SWIFT_BACKTRACE"] = "enable=no"  // the runtime's in-process backtrace
        let result = runChildProcess(
            "/usr/bin/timeout",
            arguments: ["-s", "KILL", "120", Self.built("lockorder-interpose-fixture"), "fatal"],
            environment: environment)
        #expect(result.status != 128 + SIGKILL, "the child hung: \(result.standardError)")
        #expect(result.status > 128, "a fatal error ends the process with a signal: \(result.status)")
        #expect(result.standardError.contains("Fatal error: deliberate, with a lock held"))
    }

    @Test("the same order every time from Swift: nothing reported")
    func swiftInOrder() {
        let result = Self.run("in-order")
        #expect(result.standardOutput == "in order done\n")
        #expect(isCleanRunLine(result.standardError.dropLast()), "\(result.standardError)")
    }

    @Test("a trylock against the learned order is exempt: nothing reported, the trylock succeeds")
    func tryLockExempt() {
        let result = Self.run("trylock")
        #expect(result.standardOutput == "trylock 0\n")
        #expect(isCleanRunLine(result.standardError.dropLast()), "\(result.standardError)")
    }

    @Test("recursive and error-checking mutexes keep their semantics; no report")
    func recursiveAndErrorCheck() {
        let result = Self.run("recursive")
        #expect(result.standardOutput == "recursive 0 0 [0, 0] errorcheck relock EDEADLK\n")
        #expect(isCleanRunLine(result.standardError.dropLast()), "\(result.standardError)")
    }

    @Test("an error-checking mutex unlocked while not held: reported, and pthread still answers EPERM")
    func errorCheckUnlockNotHeld() {
        let result = Self.run("errorcheck-unlock")
        #expect(result.standardOutput == "errorcheck unlock EPERM\n")
        #expect(
            Self.headlines(result).first?.hasPrefix(
                "lockorder: unlock not held: releasing pthread error-checking mutex") == true,
            "\(result.standardError)")
    }

    @Test("rwlocks: write-read then write-write in the other order is a cycle")
    func rwlockABBA() {
        let result = Self.run("rwlock")
        #expect(result.standardOutput == "rwlock done\n")
        #expect(Self.headlines(result).count == 1, "\(result.standardError)")
        #expect(Self.headlines(result).first?.contains("order cycle: acquiring pthread rwlock") == true)
    }

    @Test("rwlocks: reads only, in both orders, on reader-preferring locks: nothing reported")
    func rwlockReads() {
        let result = Self.run("rwlock-reads")
        #expect(result.standardOutput == "reads done\n")
        #expect(isCleanRunLine(result.standardError.dropLast()), "\(result.standardError)")
    }

    @Test("spin locks: ABBA is a cycle")
    func spinABBA() {
        let result = Self.run("spin")
        #expect(result.standardOutput == "spin done\n")
        #expect(
            Self.headlines(result).first?.contains("order cycle: acquiring pthread spin lock") == true,
            "\(result.standardError)")
    }

    @Test("a condition wait takes its mutex back under a lock taken after it: a cycle")
    func conditionWaitInversion() {
        let result = Self.run("cond-inversion")
        #expect(result.standardOutput == "cond wait ETIMEDOUT\n")
        #expect(Self.headlines(result).count == 1, "\(result.standardError)")
        #expect(Self.headlines(result).first?.contains("order cycle") == true)
    }

    @Test("a plain condition wait, signalled by another thread: nothing reported")
    func conditionWaitClean() {
        let result = Self.run("cond-clean")
        #expect(result.standardOutput == "clean wait done\n")
        #expect(isCleanRunLine(result.standardError.dropLast()), "\(result.standardError)")
    }

    @Test("fork in a multithreaded process: every child runs, checks its own ABBA, and exits")
    func forkWhileThreaded() {
        let result = Self.run("fork")
        #expect(result.status == 0)
        #expect(result.standardOutput == "fork children [0]\n")
        // Each child reports its own cycle (its own process, its own summary).
        #expect(Self.headlines(result).count == 20, "\(result.standardError)")
        #expect(Self.headlines(result).allSatisfy { $0.contains("order cycle") })
    }

    @Test("statically initialised mutexes are classed by their first lock site")
    func staticInitialisers() {
        let result = Self.run("static")
        #expect(result.standardOutput == "static done\n")
        #expect(Self.headlines(result).count == 1, "\(result.standardError)")
        #expect(Self.headlines(result).first?.contains("pthread mutex first locked at") == true)
    }

    @Test("a program that takes no locks of its own: no output from lockorder")
    func noLocks() {
        let result = Self.run("none")
        #expect(result.status == 0)
        #expect(result.standardOutput == "no locks\n")
        #expect(result.standardError == "")
    }

    @Test(
        "checking off (LOCKORDER_CHECK unset): the ABBA runs and nothing is said",
        arguments: [nil, "0", "off"])
    func checkingOff(value: String?) {
        let result = Self.run("abba", checking: value)
        #expect(result.status == 0)
        #expect(result.standardOutput == "abba done\n")
        #expect(result.standardError == "")
    }

    @Test("abort mode stops the C program at the report")
    func abortMode() {
        let result = Self.run("abba", c: true, checking: "abort")
        #expect(result.status == 128 + SIGABRT)
        #expect(result.standardOutput == "")
        #expect(Self.headlines(result).first?.contains("order cycle") == true)
    }

    @Test("lockorder run -- PROGRAM ARGS preloads the interposer and turns checking on")
    func runCommand() {
        let result = runChildProcess(
            lockorderBinary(), arguments: ["run", "--", Self.built("lockorder-interpose-fixture-c"), "abba"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "c done\n")
        #expect(Self.headlines(result).count == 1, "\(result.standardError)")
    }

    @Test("a suppressed pthread cycle: not reported, counted under its rule")
    func suppressedCycle() throws {
        let path = "/tmp/lockorder-interpose-suppressions-\(getpid()).txt"
        let rule = "order_cycle | *make_lock* | | the fixture takes them in both orders on purpose\n"
        let file = try #require(fopen(path, "w"))
        fputs(rule, file)
        fclose(file)
        defer { unlink(path) }
        let result = Self.run("abba", c: true, extra: ["LOCKORDER_SUPPRESSIONS": path])
        #expect(result.standardOutput == "c done\n")
        #expect(Self.headlines(result).isEmpty, "\(result.standardError)")
        #expect(
            result.standardError.contains(
                "lockorder: suppressed 1 occurrence by \(path):1 (order_cycle | *make_lock*): the fixture takes them in both orders on purpose"
            ))
    }

    @Test("lockorder run with no program: one line, status 1")
    func runCommandWithoutProgram() {
        let result = runChildProcess(lockorderBinary(), arguments: ["run"])
        #expect(result.status == 1)
        #expect(result.standardError == "lockorder run: no program given (lockorder run -- PROGRAM ARGS)\n")
    }
}
