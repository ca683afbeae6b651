import LockOrderTestSupport
import Testing

@testable import LockOrderChecker

/// Whether llvm-symbolizer is on this process's PATH, which the in-process location tests need.
let llvmSymbolizerIsOnPath: Bool = {
    if case .llvmSymbolizer = SourceLocator.findTool(searchPath: environmentValue("PATH")) { return true }
    return false
}()

/// A backtrace taken in a function of this file, and the line of the capture call.
@inline(never) func sourceLocatorCapture() -> (backtrace: Backtrace, line: Int) {
    let backtrace = Backtrace.capture()
    return (backtrace, #line - 1)
}

@Suite("Source locations (LOCKORDER_SYMBOLIZE)")
struct SourceLocatorTests {
    @Test(
        "with locations on, frame #0 gets this file, the capture call's line and a column",
        .enabled(if: llvmSymbolizerIsOnPath, "needs llvm-symbolizer on PATH"))
    func frameZeroHasItsSourceLocation() throws {
        let (backtrace, line) = sourceLocatorCapture()
        let frames = SlowPathLock.withLock { backtrace.symbolicated(includingSourceLocations: true) }
        let first = try #require(frames.first)
        #expect(first.function?.hasPrefix("LockOrderCheckerTests.sourceLocatorCapture()") == true)
        let location = try #require(first.sourceLocation, "\(frames.map(\.formatted))")
        let fileAndLine = "/Tests/LockOrderCheckerTests/SourceLocatorTests.swift:\(line):"
        let end = try #require(location.firstRange(of: fileAndLine)?.upperBound, "\(location)")
        #expect((UInt(location[end...]) ?? 0) > 0, "ends in a column: \(location)")
        #expect(location.hasPrefix("/"), "the frame keeps the absolute path: \(location)")
        // The text shows it relative to the working directory (the package's, for `swift test`).
        #expect(
            first.formatted.hasSuffix(
                " at Tests/LockOrderCheckerTests/SourceLocatorTests.swift:\(line):\(location[end...])"))
    }

    @Test("with locations off, no frame has a source location, even once the cache knows it")
    func locationsOff() {
        let (backtrace, _) = sourceLocatorCapture()
        let plain = backtrace.symbolicated()
        #expect(!plain.isEmpty)
        #expect(plain.allSatisfy { $0.sourceLocation == nil })
        _ = SlowPathLock.withLock { backtrace.symbolicated(includingSourceLocations: true) }
        #expect(backtrace.symbolicated().allSatisfy { $0.sourceLocation == nil })
        #expect(!backtrace.symbolicated().contains { $0.formatted.contains(" at ") })
    }

    @Test(
        "llvm-symbolizer answers: file:line:column, file:line for column 0, nil for unknown, garbage refused")
    func llvmSymbolizerAnswers() {
        #expect(SourceLocator.parseLLVMSymbolizerLine("/src/A.swift:12:7") == .some("/src/A.swift:12:7"))
        #expect(SourceLocator.parseLLVMSymbolizerLine("/src/A.swift:12:0") == .some("/src/A.swift:12"))
        #expect(
            SourceLocator.parseLLVMSymbolizerLine("C:/odd:name.swift:3:4") == .some("C:/odd:name.swift:3:4"))
        #expect(SourceLocator.parseLLVMSymbolizerLine("??:0:0") == .some(nil))
        #expect(SourceLocator.parseLLVMSymbolizerLine("<compiler-generated>:0:0") == .some(nil))
        #expect(SourceLocator.parseLLVMSymbolizerLine("hello there") == nil)
        #expect(SourceLocator.parseLLVMSymbolizerLine("main.swift:x:1") == nil)
    }

    @Test("addr2line answers: file:line (discriminators dropped), nil for unknown, garbage refused")
    func addr2lineAnswers() {
        #expect(SourceLocator.parseAddr2lineLine("/src/A.swift:12") == .some("/src/A.swift:12"))
        #expect(
            SourceLocator.parseAddr2lineLine("/src/A.swift:12 (discriminator 3)") == .some("/src/A.swift:12"))
        #expect(SourceLocator.parseAddr2lineLine("??:0") == .some(nil))
        #expect(SourceLocator.parseAddr2lineLine("??:?") == .some(nil))
        #expect(SourceLocator.parseAddr2lineLine("/src/A.swift:?") == .some(nil))
        #expect(SourceLocator.parseAddr2lineLine("hello there") == nil)
    }

    @Test(
        "the tool search prefers llvm-symbolizer, falls back to addr2line, and finds nothing on an empty PATH"
    )
    func toolSearch() {
        #expect(SourceLocator.findTool(searchPath: nil) == nil)
        #expect(SourceLocator.findTool(searchPath: "") == nil)
        #expect(SourceLocator.findTool(searchPath: "/nonexistent-lockorder-directory") == nil)
        if case .llvmSymbolizer(let path)? = SourceLocator.findTool(searchPath: environmentValue("PATH")) {
            let directory = String(path.dropLast("/llvm-symbolizer".count))
            #expect(
                SourceLocator.findTool(searchPath: "/nonexistent-lockorder-directory:" + directory)
                    == .llvmSymbolizer(path))
        }
    }
}
