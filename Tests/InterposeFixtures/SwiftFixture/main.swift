// A program that locks raw pthread objects and knows nothing of lockorder: the interposer
// tests run it in a child process with LD_PRELOAD (Tests/EndToEndTests/InterposeTests.swift).
// The scenario is the first argument; what it prints on stdout is what the test reads besides
// the reports on stderr.
#if canImport(Glibc)
    import Glibc
#endif

let name = CommandLine.arguments.dropFirst().first ?? ""
guard let scenario = scenarios[name] else {
    print("unknown scenario \(name); one of \(scenarios.keys.sorted())")
    exit(2)
}
scenario()
