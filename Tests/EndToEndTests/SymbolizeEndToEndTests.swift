import Foundation
import LockOrderTestSupport
import Testing

/// LOCKORDER_SYMBOLIZE on the real binary: by default and with `1`, frames get
/// `file:line:column` through llvm-symbolizer or addr2line (with `1` a notice says why not
/// when neither is on PATH); `0` turns it off.
@Suite("LOCKORDER_SYMBOLIZE, end to end", .serialized)
struct SymbolizeEndToEndTests {
    static let scenarios = "Sources/lockorder/DemoScenarios.swift"
    static let unavailableNotice =
        "lockorder: LOCKORDER_SYMBOLIZE=1 but neither llvm-symbolizer nor addr2line is on PATH; "
        + "frames keep function names only"

    /// The first executable called `name` on the test's PATH.
    static func onPath(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The frame lines (`#N 0x...`) of a stderr text.
    static func frameLines(_ text: String) -> [String] {
        DemoRun.lines(text).filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
    }

    @Test(
        "frames carry ' at .../DemoScenarios.swift:LINE:COLUMN' on stderr and sourceLocation in the report file",
        .enabled(
            if: onPath("llvm-symbolizer") != nil || onPath("addr2line") != nil, "needs a symbolizer on PATH"))
    func demoFramesHaveLocations() throws {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reportFile = directory + "/reports.jsonl"
        let result = try DemoRun.run(
            ["LOCKORDER_CHECK": "1", "LOCKORDER_SYMBOLIZE": "1", "LOCKORDER_REPORT_FILE": reportFile])
        #expect(result.status == 0)
        DemoRun.expectJuliaReports(DemoRun.checkerLines(result))
        let inversionLine = try DemoRun.sourceLine(
            containing: "methodTable.withLock {}", in: Self.scenarios)
        let lines = DemoRun.lines(result.standardError)
        let inversion = try #require(lines.firstIndex(of: DemoRun.juliaHeadlines[1]))
        let frameZero = try #require(lines[inversion...].first { $0.hasPrefix("    #0 ") })
        #expect(isLocatedFrameLine(frameZero), "\(frameZero)")
        let site = "/DemoScenarios.swift:\(inversionLine)"
        #expect(frameZero.contains(site + ":") || frameZero.hasSuffix(site), "\(frameZero)")
        #expect(!result.standardError.contains("LOCKORDER_SYMBOLIZE=1 but"), "no notice")
        let reports = try String(contentsOfFile: reportFile, encoding: .utf8)
        #expect(reports.contains(#""sourceLocation":"/"#))
        #expect(reports.contains(site + ":") || reports.contains(site + "\""))
    }

    @Test(
        "through addr2line alone, frames carry ' at .../DemoScenarios.swift:LINE' (no column)",
        .enabled(if: onPath("addr2line") != nil, "needs addr2line on PATH"))
    func addr2lineFallback() throws {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/addr2line", withDestinationPath: try #require(Self.onPath("addr2line")))
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_SYMBOLIZE": "1", "PATH": directory])
        #expect(result.status == 0)
        DemoRun.expectJuliaReports(DemoRun.checkerLines(result))
        let inversionLine = try DemoRun.sourceLine(
            containing: "methodTable.withLock {}", in: Self.scenarios)
        let frames = Self.frameLines(result.standardError)
        #expect(
            frames.contains { $0.hasSuffix("/DemoScenarios.swift:\(inversionLine)") }, "\(frames.prefix(3))")
    }

    @Test("with no symbolizer on PATH: one notice line, then the usual reports without locations")
    func noSymbolizerOnPath() throws {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_SYMBOLIZE": "1", "PATH": directory])
        #expect(result.status == 0)
        let checkerLines = DemoRun.checkerLines(result)
        #expect(checkerLines.first == Self.unavailableNotice)
        #expect(checkerLines.filter { $0 == Self.unavailableNotice }.count == 1)
        DemoRun.expectJuliaReports(Array(checkerLines.dropFirst()))
        let frames = Self.frameLines(result.standardError)
        #expect(!frames.isEmpty)
        #expect(!frames.contains { isLocatedFrameLine($0) })
    }

    @Test("an llvm-symbolizer that answers garbage: one notice, then the usual reports without locations")
    func garbageAnswers() throws {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fake = directory + "/llvm-symbolizer"
        try "#!/bin/sh\nwhile read line; do echo 'no location here'; done\n".write(
            toFile: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_SYMBOLIZE": "1", "PATH": directory])
        #expect(result.status == 0)
        let checkerLines = DemoRun.checkerLines(result)
        #expect(
            checkerLines.first
                == "lockorder: llvm-symbolizer exited, stalled or answered "
                + "unexpectedly; it is not used again and frames keep function names only")
        DemoRun.expectJuliaReports(Array(checkerLines.dropFirst()))
        #expect(!Self.frameLines(result.standardError).contains { isLocatedFrameLine($0) })
    }

    @Test("LOCKORDER_SYMBOLIZE=0: frames have no locations, even with a symbolizer on PATH")
    func zeroTurnsItOff() throws {
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_SYMBOLIZE": "0"])
        let frames = Self.frameLines(result.standardError)
        #expect(!frames.isEmpty)
        #expect(!frames.contains { isLocatedFrameLine($0) })
    }

    @Test(
        "without LOCKORDER_SYMBOLIZE: every printed frame of the demo's code has its location, frame #0 the reported line",
        .enabled(if: onPath("llvm-symbolizer") != nil, "needs llvm-symbolizer on PATH"))
    func onByDefault() throws {
        // The parent's LOCKORDER_* variables never reach the child: LOCKORDER_SYMBOLIZE is unset.
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1"])
        #expect(result.status == 0)
        DemoRun.expectJuliaReports(DemoRun.checkerLines(result))
        let inversionLine = try DemoRun.sourceLine(containing: "methodTable.withLock {}", in: Self.scenarios)
        let lines = DemoRun.lines(result.standardError)
        let inversion = try #require(lines.firstIndex(of: DemoRun.juliaHeadlines[1]))
        let frameZero = try #require(lines[inversion...].first { $0.hasPrefix("    #0 ") })
        #expect(frameZero.contains("/DemoScenarios.swift:\(inversionLine):"), "\(frameZero)")
        // The demo's own functions and closures (not the thunks the compiler adds for @main and
        // protocol witnesses, which have no line).
        let userFrames = Self.frameLines(result.standardError).filter {
            $0.contains("lockorder.DemoScenarios.all") || $0.contains(" lockorder.demoThreadMain(")
                || $0.contains(" lockorder.DemoCommand.run()")
        }
        #expect(!userFrames.isEmpty)
        #expect(
            userFrames.allSatisfy { isLocatedFrameLine($0) },
            "\(userFrames.filter { !isLocatedFrameLine($0) })")
        #expect(!result.standardError.contains("LOCKORDER_SYMBOLIZE"), "no notice")
    }

    @Test("by default, with no symbolizer on PATH: the usual reports without locations, and no notice")
    func defaultWithoutSymbolizerIsQuiet() throws {
        let directory = try DemoRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "PATH": directory])
        #expect(result.status == 0)
        DemoRun.expectJuliaReports(DemoRun.checkerLines(result))
        let frames = Self.frameLines(result.standardError)
        #expect(!frames.isEmpty)
        #expect(!frames.contains { isLocatedFrameLine($0) })
        #expect(!result.standardError.contains("symbolizer"))
    }

    @Test(
        "frames are folded: no partial-apply forwarder or LockCore frame is printed; a folded run is one line"
    )
    func framesAreFolded() throws {
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1", "LOCKORDER_SYMBOLIZE": "0"])
        let frames = Self.frameLines(result.standardError)
        #expect(!frames.isEmpty)
        #expect(!frames.contains { $0.contains("partial apply forwarder") || $0.contains("thunk for") })
        #expect(!frames.contains { $0.contains("LockCore.") })
        let lines = DemoRun.lines(result.standardError)
        #expect(lines.contains { $0.hasPrefix("    (") && $0.hasSuffix(" frames folded)") })
        let inversion = try #require(lines.firstIndex(of: DemoRun.juliaHeadlines[1]))
        let frameZero = try #require(lines[inversion...].first { $0.hasPrefix("    #0 ") })
        #expect(
            frameZero.contains(" closure #1 () -> () in closure #3 @Sendable () -> () in "), "\(frameZero)")
    }
}
