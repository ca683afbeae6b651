import Foundation
import LockCore
import LockOrderChecker
import LockOrderTestSupport
import LockOrderTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Checked tests and the process's output files: a session leaves LOCKORDER_GRAPH_FILE and
/// LOCKORDER_REPORT_FILE alone, so the trait keeps for them what a test did not expect. Each case
/// runs this test binary again as a child, on one of the child suites below (real Swift Testing
/// runs of `.lockOrderChecked` suites), with checking and both files set.
@Suite("The trait and LOCKORDER_GRAPH_FILE / LOCKORDER_REPORT_FILE", .serialized)
struct TraitOutputFileTests {
    struct Run {
        let status: Int32
        let output: String
        let graph: LearnedOrderSnapshot
        let reportKinds: [String]
        let folder: String
    }

    /// Runs the child suite `name` (its suite enables itself on LOCKORDER_TRAIT_CHILD=name).
    static func runChildSuite(
        _ name: String, environment extra: [String: String] = [:], keepFolder: String? = nil
    )
        throws -> Run
    {
        let folder = keepFolder ?? NSTemporaryDirectory() + "lockorder-trait-outputs-\(getpid())-\(name)"
        if keepFolder == nil {
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        try #require(count > 0)
        let binary = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let result = runChildProcess(
            binary, arguments: ["--testing-library", "swift-testing", "--filter", name],
            environment: [
                "LOCKORDER_TRAIT_CHILD": name, "LOCKORDER_CHECK": "1",
                "LOCKORDER_GRAPH_FILE": "\(folder)/graph.json",
                "LOCKORDER_REPORT_FILE": "\(folder)/reports.jsonl",
            ].merging(extra) { $1 })
        let output = result.standardOutput + result.standardError
        let bytes = try #require(
            FileManager.default.contents(atPath: "\(folder)/graph.json").map(Array.init),
            "no graph file: \(output)")
        let reports = String(
            decoding: FileManager.default.contents(atPath: "\(folder)/reports.jsonl") ?? Data(), as: UTF8.self
        )
        let kinds = reports.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["kind"] as? String
        }
        return Run(
            status: result.status, output: output, graph: try LearnedOrderSnapshot.decode(bytes),
            reportKinds: kinds,
            folder: folder)
    }

    /// The graph's edges as `From -> To xCOUNT`, class names without their sites.
    static func edges(_ graph: LearnedOrderSnapshot, prefix: String) -> Set<String> {
        func short(_ name: String) -> String { String(name.prefix { $0 != " " }) }
        return Set(
            graph.edges.filter { $0.from.hasPrefix(prefix) }.map {
                "\(short($0.from)) -> \(short($0.to)) x\($0.count)"
            }
        )
    }

    @Test(
        "Per test: a clean test's order and an unexpected violation are kept; tests that expect one keep nothing"
    )
    func perTestKeepsWhatWasNotExpected() throws {
        let run = try Self.runChildSuite("PerTestChildSuite")
        defer { try? FileManager.default.removeItem(atPath: run.folder) }
        #expect(run.status == 1, "the unexpected cycle's test fails the child run: \(run.output)")
        #expect(run.output.contains("Test unexpectedCycle() failed"), "\(run.output)")
        #expect(!run.output.contains("Test clean() failed") && !run.output.contains("Test expected() failed"))
        // (The acquisition that closes a cycle adds no edge: the cycle is in `violations`.)
        #expect(
            Self.edges(run.graph, prefix: "Kept") == [
                "KeptClean.A -> KeptClean.B x1", "KeptUnexpected.A -> KeptUnexpected.B x1",
            ])
        #expect(run.graph.violations.map(\.kind) == [.orderCycle])
        #expect(run.graph.runs?.count == 1)
        #expect(run.reportKinds == ["order_cycle"], "the report file has the unexpected one only")
        // The merged file is what `lockorder check` reads: the cycle a test reported fails it.
        let check = runChildProcess(lockorderBinary(), arguments: ["check", "\(run.folder)/graph.json"])
        #expect(check.status == 1, "\(check.standardOutput)")
    }

    @Test("Across a suite: its order is kept once, at its end, each edge counted once")
    func acrossSuiteKeepsTheOrderOnce() throws {
        let run = try Self.runChildSuite("AcrossSuiteChildSuite")
        defer { try? FileManager.default.removeItem(atPath: run.folder) }
        #expect(run.status == 0, "\(run.output)")
        #expect(
            Self.edges(run.graph, prefix: "KeptSuite") == [
                "KeptSuite.C -> KeptSuite.D x1", "KeptSuite.D -> KeptSuite.E x1",
                "KeptSuite.C -> KeptSuite.E x1",
            ])
        #expect(run.graph.violations.isEmpty)
        #expect(run.reportKinds.isEmpty)
    }
}

extension TraitOutputFileTests {
    @Test(
        "With LOCKORDER_GRAPH_BASELINE, a checked test that inverts an earlier run's order fails, marked as such"
    )
    func baselineInsideCheckedTests() throws {
        let first = try Self.runChildSuite("BaselineFirstChildSuite")
        defer { try? FileManager.default.removeItem(atPath: first.folder) }
        #expect(first.status == 0, "\(first.output)")
        #expect(Self.edges(first.graph, prefix: "Baseline") == ["BaselineLocks.A -> BaselineLocks.B x1"])
        // The second run, with the first run's file as its baseline, writes a file of its own.
        try FileManager.default.moveItem(
            atPath: "\(first.folder)/graph.json", toPath: "\(first.folder)/baseline.json")
        let second = try Self.runChildSuite(
            "BaselineSecondChildSuite",
            environment: ["LOCKORDER_GRAPH_BASELINE": "\(first.folder)/baseline.json"],
            keepFolder: first.folder)
        #expect(second.status == 1, "\(second.output)")
        #expect(second.output.contains("Test invertsTheEarlierOrder() failed"), "\(second.output)")
        #expect(second.output.contains("order cycle with an earlier run"), "\(second.output)")
    }
}

/// Locks shared by the two baseline child suites: the same classes (creation sites) in both runs.
enum BaselineLocks {
    static let a = CheckedMutex("BaselineLocks.A")
    static let b = CheckedMutex("BaselineLocks.B")
}

/// Run by `TraitOutputFileTests` as a child: learns A -> B.
@Suite(.lockOrderChecked, .enabled(if: isTraitChild("BaselineFirstChildSuite")))
struct BaselineFirstChildSuite {
    @Test func learnsTheOrder() { nest(BaselineLocks.a, BaselineLocks.b) }
}

/// Run by `TraitOutputFileTests` as a child, with the first run's graph as the baseline: B -> A.
@Suite(.lockOrderChecked, .enabled(if: isTraitChild("BaselineSecondChildSuite")))
struct BaselineSecondChildSuite {
    @Test func invertsTheEarlierOrder() { nest(BaselineLocks.b, BaselineLocks.a) }
}

/// Whether this process is the child run of `name` (skipped in the ordinary test run).
func isTraitChild(_ name: String) -> Bool {
    getenv("LOCKORDER_TRAIT_CHILD").map { String(cString: $0) == name } ?? false
}

/// Run by `TraitOutputFileTests` as a child: one clean test, two that break the order on purpose,
/// and one whose cycle is unexpected (it fails the child run).
@Suite(.serialized, .lockOrderChecked, .enabled(if: isTraitChild("PerTestChildSuite")))
struct PerTestChildSuite {
    @Test func clean() {
        let a = CheckedMutex("KeptClean.A")
        let b = CheckedMutex("KeptClean.B")
        nest(a, b)
    }

    @Test(.lockOrderChecked(expecting: .orderCycle)) func expected() { abba("KeptExpected") }

    @Test func expectedByHelper() { expectViolation(.orderCycle) { abba("KeptByHelper") } }

    @Test func unexpectedCycle() { abba("KeptUnexpected") }
}

/// Run by `TraitOutputFileTests` as a child: three tests learning one order together.
@Suite(
    .serialized, .lockOrderChecked(learning: .acrossSuite),
    .enabled(if: isTraitChild("AcrossSuiteChildSuite")))
struct AcrossSuiteChildSuite {
    static let c = CheckedMutex("KeptSuite.C")
    static let d = CheckedMutex("KeptSuite.D")
    static let e = CheckedMutex("KeptSuite.E")

    @Test func first() { nest(Self.c, Self.d) }
    @Test func second() { nest(Self.d, Self.e) }
    @Test func third() { nest(Self.c, Self.e) }
}
