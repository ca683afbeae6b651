import Foundation
import LockOrderTestSupport
import Testing

/// LOCKORDER_SYMBOLIZE=1 on the real binary: frames get `file:line:column` through
/// llvm-symbolizer or addr2line, or a notice says why not.
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
        #expect(frameZero.contains(" at /"), "\(frameZero)")
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
        #expect(!frames.contains { $0.contains(" at /") })
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
                == "lockorder: LOCKORDER_SYMBOLIZE=1 but llvm-symbolizer exited, stalled or answered "
                + "unexpectedly; it is not used again and frames keep function names only")
        DemoRun.expectJuliaReports(Array(checkerLines.dropFirst()))
        #expect(!Self.frameLines(result.standardError).contains { $0.contains(" at /") })
    }

    @Test("without LOCKORDER_SYMBOLIZE, frames have no locations")
    func offByDefault() throws {
        let result = try DemoRun.run(["LOCKORDER_CHECK": "1"])
        let frames = Self.frameLines(result.standardError)
        #expect(!frames.isEmpty)
        #expect(!frames.contains { $0.contains(" at /") })
    }
}
