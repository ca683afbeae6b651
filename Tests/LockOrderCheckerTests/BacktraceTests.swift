import LockOrderTestSupport
import Synchronization
import Testing

@testable import LockOrderChecker

@inline(never) func backtraceChainOuter() -> Backtrace { backtraceChainMiddle() }
@inline(never) func backtraceChainMiddle() -> Backtrace { backtraceChainInner() }
@inline(never) func backtraceChainInner() -> Backtrace { Backtrace.capture() }

@Suite("Backtraces")
struct BacktraceTests {
    @Test("a backtrace inside three nested functions lists them in call order, demangled")
    func chainOfThreeFunctions() {
        let frames = backtraceChainOuter().symbolicated()
        let names = frames.map { $0.function ?? "?" }
        let inner = names.firstIndex { $0.hasPrefix("LockOrderCheckerTests.backtraceChainInner()") }
        let middle = names.firstIndex { $0.hasPrefix("LockOrderCheckerTests.backtraceChainMiddle()") }
        let outer = names.firstIndex { $0.hasPrefix("LockOrderCheckerTests.backtraceChainOuter()") }
        #expect(inner == 0, "the first frame is the caller of capture(): \(names.prefix(4))")
        #expect(middle == 1)
        #expect(outer == 2)
        #expect(!names.contains { $0.hasPrefix("$s") }, "no frame keeps a mangled Swift name")
        #expect(frames[0].module?.hasPrefix("lockorderPackageTests") == true)
        #expect(
            frames[0].formatted.contains(
                "LockOrderCheckerTests.backtraceChainInner() -> LockOrderChecker.Backtrace + "))
    }

    @Test("capture keeps addresses only; naming happens once per address, through the cache")
    func symbolizationIsCached() {
        let backtrace = backtraceChainOuter()
        _ = backtrace.symbolicated()
        let resolved = Symbolizer.shared.resolvedCount
        _ = backtrace.symbolicated()
        #expect(Symbolizer.shared.resolvedCount == resolved)
        #expect(backtrace.addresses.count > 3)
    }

    @Test("C names are left as they are; Swift names are demangled")
    func demangling() {
        #expect(Demangler.demangle("pthread_mutex_lock") == "pthread_mutex_lock")
        #expect(Demangler.demangle("$s4main3fooyyF") == "main.foo() -> ()")
    }
}

@Suite("The backtrace lock")
struct BacktraceLockTests {
    @Test("re-entry on the same thread three deep does not deadlock")
    func reentryThreeDeep() {
        var depths: [Int] = []
        SlowPathLock.withLock {
            depths.append(SlowPathLock.currentDepth)
            SlowPathLock.withLock {
                depths.append(SlowPathLock.currentDepth)
                SlowPathLock.withLock { depths.append(SlowPathLock.currentDepth) }
            }
        }
        #expect(depths == [1, 2, 3])
        #expect(!SlowPathLock.isHeldByCurrentThread)
    }

    @Test("the lock is released when the body throws")
    func releasedOnThrow() {
        struct Failure: Error {}
        #expect(throws: Failure.self) { try SlowPathLock.withLock { throw Failure() } }
        #expect(!SlowPathLock.isHeldByCurrentThread)
        TestThread.runAndWait { SlowPathLock.withLock {} }
    }

    @Test("two threads are excluded from each other")
    func mutualExclusion() {
        let inside = Atomic<Bool>(false)
        let overlaps = Atomic<Int>(0)
        TestThread.runConcurrently(4) { _ in
            for _ in 0..<2_000 {
                SlowPathLock.withLock {
                    if inside.exchange(true, ordering: .sequentiallyConsistent) {
                        overlaps.add(1, ordering: .relaxed)
                    }
                    for _ in 0..<50 { _ = inside.load(ordering: .relaxed) }
                    inside.store(false, ordering: .sequentiallyConsistent)
                }
            }
        }
        #expect(overlaps.load(ordering: .relaxed) == 0)
    }

    @Test("eight threads printing multi-line reports at once produce whole reports")
    func reportsDoNotInterleave() {
        let linesPerReport = 12
        let output = capturingStandardError {
            TestThread.runConcurrently(8) { thread in
                for report in 0..<25 {
                    SlowPathLock.withLock {
                        for line in 0..<linesPerReport {
                            StandardError.write("report \(thread)-\(report) line \(line)\n")
                        }
                    }
                }
            }
        }
        let lines = output.split(separator: "\n")
        #expect(lines.count == 8 * 25 * linesPerReport)
        for start in stride(from: 0, to: lines.count, by: linesPerReport) {
            let owner = lines[start].split(separator: " ")[1]
            for offset in 0..<linesPerReport {
                #expect(lines[start + offset] == "report \(owner) line \(offset)")
            }
        }
    }
}
