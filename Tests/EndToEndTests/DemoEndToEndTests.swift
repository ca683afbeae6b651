import LockOrderTestSupport
import Testing

/// Runs the built `lockorder` binary, as a user would, and reads its stderr.
@Suite("lockorder demo, end to end")
struct DemoEndToEndTests {
    static let binary = lockorderBinary()

    @Test("the demo's stderr holds reports whose backtraces carry demangled Swift names")
    func demoPrintsDemangledBacktraces() {
        let result = runChildProcess(Self.binary, arguments: ["demo"], environment: ["LOCKORDER_CHECK": "1"])
        #expect(result.status == 0)
        let stderr = result.standardError
        #expect(stderr.contains("  backtrace:\n    #0 0x"))
        #expect(stderr.contains("lockorder.DemoScenarios"))
        #expect(!stderr.contains(" $s"), "no raw mangled Swift symbol")
        #expect(!stderr.contains("LockOrderChecker.SlowPathLock"), "the checker's own frames are skipped")
    }
}
