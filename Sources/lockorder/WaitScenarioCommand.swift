import ArgumentParser
import LockCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `lockorder wait-scenario NAME`: runs one scenario for the watchdog (docs/watchdog.md) and
/// exits after `--seconds`, whatever its threads are doing (a real deadlock never ends by
/// itself). The end-to-end tests run it with LOCKORDER_WATCHDOG and friends; try it by hand with
/// `LOCKORDER_CHECK=1 LOCKORDER_WATCHDOG=0.2 lockorder wait-scenario abba`.
struct WaitScenarioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait-scenario",
        abstract:
            "Run a waiting scenario for the watchdog: abba, abba-KINDS, lock-wait, condition-wait, contended, hold, stats."
    )

    @Argument(
        help: """
            abba (a real two-thread deadlock on two mutexes), abba-reentrant-spin, abba-rwlock-reentrant-spin, \
            abba-timed, abba-annotated (the same through other lock types and acquisitions), lock-wait (a long wait for a held lock), condition-wait \
            (a wait nobody signals), contended (contended locking that ends normally), hold (a 300 ms hold, \
            twice), stats (a scripted contended workload)
            """)
    var scenario: String

    @Option(help: "Seconds before the process exits.")
    var seconds: Double = 3

    func run() throws {
        if getenv("LOCKORDER_CHECK") == nil { setenv("LOCKORDER_CHECK", "report", 1) }
        switch scenario {
        case "abba": WaitScenarios.abba()
        case let name where name.hasPrefix("abba-") && WaitScenarios.abba(kinds: String(name.dropFirst(5))):
            break
        case "lock-wait": WaitScenarios.lockWait()
        case "condition-wait": WaitScenarios.conditionWait()
        case "contended":
            WaitScenarios.contended()
            return
        case "hold":
            WaitScenarios.hold()
            return
        case "stats":
            WaitScenarios.stats()
            return
        default:
            throw ValidationError(
                "unknown scenario '\(scenario)': abba, abba-reentrant-spin, abba-rwlock-reentrant-spin, abba-timed, abba-annotated, lock-wait, condition-wait or contended"
            )
        }
        WaitScenarios.sleep(seconds)
        print("== exiting after \(seconds) s")
        Glibc.exit(0)
    }
}
