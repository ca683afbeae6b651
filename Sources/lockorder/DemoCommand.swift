import ArgumentParser
import LockCore

#if canImport(Glibc)
    import Glibc
#endif

/// `lockorder demo`: runs scenarios on the Julia lock table with checking on, and lets the
/// checker print its real reports on stderr.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run lock-order scenarios on the Julia lock table and print the real reports.",
        discussion: """
            Checking is switched on through LOCKORDER_CHECK=report unless the environment already \
            sets it (try LOCKORDER_REPORT_FILE=reports.jsonl or LOCKORDER_GRAPH_FILE=graph.json too).
            """)

    @Flag(
        name: .customLong("async"),
        help: "Also run the async scenario: a lock held across an await (docs/locks.md, Async code).")
    var includesAsync = false

    func run() throws {
        if getenv("LOCKORDER_CHECK") == nil { setenv("LOCKORDER_CHECK", "report", 1) }
        for scenario in DemoScenarios.all + DemoScenarios.containers
            + (includesAsync ? [AsyncDemoScenario.scenario] : [])
        {
            print("== \(scenario.title)")
            scenario.run()
        }
        print("== done: the reports are on stderr; the summary line follows at exit")
    }
}
