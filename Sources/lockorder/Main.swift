import ArgumentParser

/// The `lockorder` command: a demo of real reports, and tools for the files the checker writes.
@main
struct LockOrderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockorder",
        abstract: "Catch lock-order bugs before they deadlock.",
        subcommands: [
            DemoCommand.self, GraphCommand.self, WaitScenarioCommand.self, RunCommand.self, CheckCommand.self,
            SuggestCommand.self, DocCommand.self, SarifCommand.self, StatsCommand.self,
        ])
}
