import Foundation
import LockOrderTestSupport
import Testing

/// Helpers for the end-to-end tests that run `lockorder demo` with LOCKORDER_* variables.
enum DemoRun {
    /// The `lockorder` binary built next to this test bundle.
    static let binary = lockorderBinary()

    /// Runs `lockorder demo` with exactly these LOCKORDER_* variables (the test's own are not
    /// passed on). Fails the test when the binary is missing.
    static func run(_ environment: [String: String]) throws -> ChildProcessResult {
        try #require(
            FileManager.default.isExecutableFile(atPath: binary),
            "build the lockorder product first (swift build --build-tests builds it): \(binary)")
        return runChildProcess(binary, arguments: ["demo"], environment: environment)
    }

    /// The lines of a text, without the empty string after a final newline.
    static func lines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// The lines the checker starts on stderr (headlines, warnings, the summary): those that
    /// begin with `lockorder: `; a report's other lines are indented.
    static func checkerLines(_ result: ChildProcessResult) -> [String] {
        lines(result.standardError).filter { $0.hasPrefix("lockorder: ") }
    }

    /// The headlines the demo's lock scenarios produce on the Julia table, in order: scenario 1
    /// keeps the world_counter_lock exception (silent), 2 breaks it, 3 is a level inversion,
    /// 4 is I/O under typecache_lock, 5 is a learned-order cycle between two undeclared locks,
    /// 6 is the bank transfer both ways (a cycle among instances of one class), 7 the bank
    /// transfer in one order (silent).
    static let juliaHeadlines = [
        "lockorder: same level: acquiring jl_method_t.writelock (level 3) while holding jl_method_t.writelock (level 3)",
        "lockorder: level inversion: acquiring jl_methtable_t.writelock (level 5) while holding typecache_lock (level 3)",
        "lockorder: forbidden operation: io while holding typecache_lock (level 3)",
    ]
    /// The start of the fourth headline (the rest names creation sites in the demo's source).
    static let cycleHeadlineStart =
        "lockorder: order cycle: acquiring accounts while holding audit log closes the cycle "
    /// The bank transfer's headline (the accounts' creation site is in its legend).
    static let bankHeadline =
        "lockorder: order cycle: acquiring account alice while holding account bob closes the cycle "
        + "account bob -> account alice -> account bob among locks of one class"
    /// The headlines of the demo's container and context scenarios, after the lock scenarios
    /// (docs/containers.md).
    static let containerHeadlines = [
        "lockorder: container locked: push on pending (CheckedArray<String>) while it is locked by iteration",
        "lockorder: context locked: restart of script while it is locked by lock()",
    ]
    /// The closing line after those seven reports, one occurrence each.
    static let juliaSummary = "lockorder: 7 distinct violations, 7 occurrences"

    /// Checks that `lines` are the demo's five reports on the Julia table, its two container
    /// and context reports, and its summary.
    static func expectJuliaReports(_ lines: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Array(lines.prefix(3)) == juliaHeadlines, sourceLocation: sourceLocation)
        #expect(lines.count == 8, "\(lines)", sourceLocation: sourceLocation)
        #expect(Array(lines.dropFirst(5).prefix(2)) == containerHeadlines, sourceLocation: sourceLocation)
        #expect(
            lines.dropFirst(3).first?.hasPrefix(cycleHeadlineStart) == true, sourceLocation: sourceLocation)
        #expect(
            lines.dropFirst(4).first?.hasPrefix(bankHeadline) == true, "\(lines)",
            sourceLocation: sourceLocation)
        #expect(lines.last == juliaSummary, sourceLocation: sourceLocation)
    }

    /// A new empty directory under the system's temporary directory.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "lockorder-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The line number of the first line of a source file that contains `text`.
    static func sourceLine(containing text: String, in relativePath: String) throws -> Int {
        let source = try String(contentsOfFile: packageRoot() + "/" + relativePath, encoding: .utf8)
        let index = try #require(lines(source).firstIndex { $0.contains(text) }, "\(text) in \(relativePath)")
        return index + 1
    }
}
