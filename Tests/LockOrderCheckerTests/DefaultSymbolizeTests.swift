import Foundation
import LockCore
import LockOrderTestSupport
import Testing

@testable import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// Two locks of classes of their own taken in both orders: the second time is an order cycle,
/// reported at the inner `withLock` of the reversed block, whose site line the report's `lock:`
/// line names. Sync, so that the exit tests' async bodies can call it.
@inline(never)
func takeTwoLocksInBothOrders() {
    let accounts = CheckedMutex("symbolize accounts")
    let audit = CheckedMutex("symbolize audit")
    accounts.withLock { audit.withLock {} }
    audit.withLock {
        accounts.withLock {}
    }
}

/// The report's text, from a child's stderr.
private func standardError(_ result: ExitTest.Result?) -> String {
    String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
}

/// The backtrace's lines (`#K ...` and `(N frames folded)`) of the report in `text`, between
/// `  backtrace:` and `  hint:`.
private func backtraceLines(_ text: String) -> [String] {
    let lines = text.split(separator: "\n").map(String.init)
    guard let start = lines.firstIndex(of: "  backtrace:") else { return [] }
    let rest = lines[(start + 1)...]
    return Array(rest.prefix { !$0.hasPrefix("  hint:") })
}

/// The line number of the `lock:` line's site in this file (`.../DefaultSymbolizeTests.swift:N`).
private func reportedSiteLine(_ text: String) -> Int? {
    let marker = "DefaultSymbolizeTests.swift:"
    guard let lockLine = text.split(separator: "\n").first(where: { $0.hasPrefix("  lock: ") }),
        let range = lockLine.range(of: marker, options: .backwards)
    else { return nil }
    return Int(lockLine[range.upperBound...].prefix { $0.isNumber })
}

/// Source locations on report frames by default (LOCKORDER_SYMBOLIZE unset), the switch's
/// values, and the folding of lockorder's own frames and compiler glue (docs/report-format.md).
/// Each case runs in a child process: the configuration is read once per process.
@Suite("LOCKORDER_SYMBOLIZE by default, and folded frames", .serialized)
struct DefaultSymbolizeTests {
    @Test(
        "unset, with llvm-symbolizer on PATH: frame #0 is this file's function at the reported line",
        .enabled(if: llvmSymbolizerIsOnPath, "needs llvm-symbolizer on PATH"))
    func defaultLocatesTheFirstUserFrame() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            endProcessIfStillRunning(afterSeconds: 30)
            checkInReportModeOnStandardErrorOnly()
            unsetenv("LOCKORDER_SYMBOLIZE")
            takeTwoLocksInBothOrders()
            exit(0)
        }
        let text = standardError(result)
        let line = try #require(reportedSiteLine(text), "\(text)")
        let frames = backtraceLines(text)
        let first = try #require(frames.first, "\(text)")
        #expect(first.hasPrefix("    #0 0x"), "\(first)")
        #expect(first.contains(" in LockOrderCheckerTests.takeTwoLocksInBothOrders() "), "\(first)")
        #expect(
            first.contains(" at Tests/LockOrderCheckerTests/DefaultSymbolizeTests.swift:\(line):"),
            "\(first)")
        #expect(!text.contains("LOCKORDER_SYMBOLIZE"), "no notice or warning: \(text)")
        // The C library's frames (the thread's start) are not looked up.
        #expect(frames.contains { $0.contains(" (libc.so.6)") }, "\(frames)")
        #expect(!frames.contains { $0.contains(" (libc.so.6) at ") }, "\(frames)")
    }

    @Test("unset, with neither llvm-symbolizer nor addr2line on PATH: no locations and no notice")
    func defaultWithoutSymbolizerIsQuiet() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            endProcessIfStillRunning(afterSeconds: 30)
            setenv("LOCKORDER_CHECK", "report", 1)
            setenv("PATH", "/nonexistent-lockorder-directory", 1)
            unsetenv("LOCKORDER_SYMBOLIZE")
            unsetenv("LOCKORDER_REPORT_FILE")
            unsetenv("LOCKORDER_GRAPH_FILE")
            takeTwoLocksInBothOrders()
            exit(SourceLocator.startedProcessCount.load(ordering: .relaxed) == 0 ? 0 : 1)
        }
        let text = standardError(result)
        let lines = text.split(separator: "\n")
        #expect(
            lines.first?.hasPrefix("lockorder: order cycle: acquiring symbolize accounts") == true, "\(text)")
        #expect(lines.last == "lockorder: 1 distinct violation, 1 occurrence")
        #expect(!backtraceLines(text).isEmpty)
        #expect(!hasLocatedFrame(text), "\(text)")
        #expect(!text.contains("symbolizer"), "\(text)")
    }

    @Test(
        "LOCKORDER_SYMBOLIZE=0: no locations and no symbolizer started, even with one on PATH",
        .enabled(if: llvmSymbolizerIsOnPath, "needs llvm-symbolizer on PATH"))
    func zeroTurnsItOff() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            endProcessIfStillRunning(afterSeconds: 30)
            checkInReportModeOnStandardErrorOnly()
            setenv("LOCKORDER_SYMBOLIZE", "0", 1)
            takeTwoLocksInBothOrders()
            exit(SourceLocator.startedProcessCount.load(ordering: .relaxed) == 0 ? 0 : 1)
        }
        let text = standardError(result)
        #expect(!backtraceLines(text).isEmpty, "\(text)")
        #expect(!hasLocatedFrame(text), "\(text)")
    }

    @Test("an unknown LOCKORDER_SYMBOLIZE value: one warning line first, then the default")
    func unknownValueWarnsOnce() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            endProcessIfStillRunning(afterSeconds: 30)
            checkInReportModeOnStandardErrorOnly()
            setenv("LOCKORDER_SYMBOLIZE", "yes please", 1)
            takeTwoLocksInBothOrders()
            exit(0)
        }
        let lines = standardError(result).split(separator: "\n")
        #expect(
            lines.first == "lockorder: LOCKORDER_SYMBOLIZE=yes please is not one of 0, off, 1, on; using on")
        #expect(lines.filter { $0.contains("LOCKORDER_SYMBOLIZE") }.count == 1)
        #expect(lines.dropFirst().first?.hasPrefix("lockorder: order cycle: ") == true)
    }

    @Test(
        "the text folds LockCore's withLock and the partial-apply forwarder the JSON line keeps; #0 is the user's closure"
    )
    func checkerFramesAndThunksAreFolded() async throws {
        let reportFile = Self.foldReportFile(parent: getpid())
        try? FileManager.default.removeItem(atPath: reportFile)
        defer { try? FileManager.default.removeItem(atPath: reportFile) }
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            endProcessIfStillRunning(afterSeconds: 30)
            setenv("LOCKORDER_CHECK", "report", 1)
            setenv("LOCKORDER_REPORT_FILE", DefaultSymbolizeTests.foldReportFile(parent: getppid()), 1)
            setenv("LOCKORDER_SYMBOLIZE", "0", 1)
            unsetenv("LOCKORDER_GRAPH_FILE")
            takeTwoLocksInBothOrders()
            exit(0)
        }
        let text = standardError(result)
        let frames = backtraceLines(text)
        let first = try #require(frames.first, "\(text)")
        #expect(first.hasPrefix("    #0 0x"), "\(first)")
        #expect(first.contains(" in LockOrderCheckerTests.takeTwoLocksInBothOrders() "), "\(first)")
        #expect(
            !frames.contains { $0.contains("partial apply forwarder") || $0.contains("thunk for") },
            "\(frames)")
        #expect(
            !frames.contains { $0.contains("LockCore.") || $0.contains("LockOrderChecker.") }, "\(frames)")
        // The closure's forwarder and the enclosing withLock sit between #0 and the function.
        let secondFrame = try #require(frames.dropFirst().first { $0.hasPrefix("    #") }, "\(frames)")
        #expect(
            secondFrame.contains(" LockOrderCheckerTests.takeTwoLocksInBothOrders() -> () + "), "\(frames)")
        #expect(frames[1].hasPrefix("    (") && frames[1].hasSuffix(" frames folded)"), "\(frames)")
        // The JSON line keeps every frame, numbered as the text numbers them.
        let json = try String(contentsOfFile: reportFile, encoding: .utf8)
        let report = try #require(json.split(separator: "\n").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
        let jsonFrames = try #require(object["frames"] as? [[String: Any]])
        let functions = jsonFrames.map { $0["function"] as? String ?? "" }
        #expect(functions.contains { $0.hasPrefix("partial apply forwarder for ") }, "\(functions)")
        let secondIndex = try #require(Int(secondFrame.dropFirst("    #".count).prefix { $0.isNumber }))
        #expect(secondFrame.contains(functions[secondIndex]), "\(functions)")
    }

    /// The report file of `checkerFramesAndThunksAreFolded`, named after the test process.
    static func foldReportFile(parent: pid_t) -> String {
        NSTemporaryDirectory() + "lockorder-fold-\(parent).jsonl"
    }

    @Test("frame lines: each run of folded frames is one line; kept frames keep their index")
    func frameLinesFoldRuns() {
        let frames = [
            Frame(address: 0x10, function: "app.inner()", offset: 1, module: "app"),
            Frame(address: 0x20, function: "partial apply forwarder for app.x", offset: 2, module: "app"),
            Frame(address: 0x30, function: "$s8LockCore13CheckedMutexC4lockyyF", offset: 3, module: "app"),
            Frame(address: 0x40, function: "app.outer()", offset: 4, module: "app"),
            Frame(address: 0x50, function: "reabstraction thunk helper", offset: 5, module: "app"),
        ]
        #expect(
            ViolationText.frameLines(frames, indent: "  ") == [
                "  #0 0x10 app.inner() + 1 (app)", "  (2 frames folded)", "  #3 0x40 app.outer() + 4 (app)",
                "  (1 frame folded)",
            ])
        // A C helper of lockorder's is folded; an executable's entry point whose module is
        // called lockorder_something (the top-level code of main.swift) is the user's.
        let entry = [
            Frame(address: 0x10, function: "lockorder_symbol_name", offset: 1, module: "app"),
            Frame(address: 0x20, function: "lockorder_fixture_main", offset: 2, module: "app"),
        ]
        #expect(
            ViolationText.frameLines(entry, indent: "") == [
                "(1 frame folded)", "#1 0x20 lockorder_fixture_main + 2 (app)",
            ])
    }
}
