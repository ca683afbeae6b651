import LockOrderChecker
import LockOrderTestSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The `lockorder-fixture` child process (Tests/LockOrderFixture): takes `X>Y` lock orders.
enum Fixture {
    static let binary = siblingBinary("lockorder-fixture")

    /// The class name of fixture lock `letter` (A...J, created on lines 12...21 of its main.swift).
    static func lockClass(_ letter: Character) -> String {
        let index = Int(letter.asciiValue! - Character("A").asciiValue!)
        return "\(letter) (lockorder_fixture/main.swift:\(12 + index))"
    }

    /// Runs the fixture with checking on, the given orders and extra environment.
    @discardableResult
    static func run(_ orders: [String], environment: [String: String] = [:]) -> ChildProcessResult {
        runChildProcess(
            binary, arguments: orders, environment: ["LOCKORDER_CHECK": "1"].merging(environment) { $1 })
    }

    /// A built executable next to the test binary.
    static func siblingBinary(_ name: String) -> String {
        let tool = lockorderBinary()
        return String(tool.dropLast("lockorder".count)) + name
    }
}

/// Reads a graph file the tests expect to exist and parse.
func readGraph(_ path: String) throws -> LearnedOrderSnapshot {
    guard let bytes = readFileBytes(path) else { throw GraphTestFailure("no graph file at \(path)") }
    return try LearnedOrderSnapshot.decode(bytes)
}

struct GraphTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Exit statuses collected from several threads.
final class StatusLog: Sendable {
    let values = Mutex<[Int32]>([])
}
