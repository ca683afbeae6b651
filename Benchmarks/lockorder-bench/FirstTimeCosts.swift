import LockCore

#if canImport(Glibc)
    import Glibc
#endif

/// What happens once per new thing: a new edge (the cycle search), a first violation
/// (capture, symbolize, print). Reported, not targeted.
enum FirstTimeCosts {
    static let section = "5. First-time costs (microseconds per event)"

    static func run(_ options: BenchOptions, into report: BenchReport) {
        print(section)
        let pairs = options.operations >= 2_000_000 ? 2_000 : 200
        CheckingVariant.levelsAndGraph.run {
            let firsts = (0..<pairs).map { CheckedMutex("edge.first.\($0)", class: .instance) }
            let seconds = (0..<pairs).map { CheckedMutex("edge.second.\($0)", class: .instance) }
            let start = monotonicNanoseconds()
            for index in 0..<pairs {
                firsts[index].lock()
                seconds[index].lock()
                seconds[index].unlock()
                firsts[index].unlock()
            }
            let perEdge = Double(monotonicNanoseconds() - start) / Double(pairs) / 1000
            withExtendedLifetime((firsts, seconds)) {}
            report.notes.append(
                "A new edge (chain-cache miss, graph insert, backtrace kept): \(format(perEdge)) us per acquisition pair."
            )
            print("  new edge: \(format(perEdge)) us")
        }
        // Violations print to stderr; send it to /dev/null for the measurement.
        let saved = dup(2)
        let null = open("/dev/null", O_WRONLY)
        dup2(null, 2)
        var coldMicroseconds = 0.0
        var warmMicroseconds = 0.0
        let violations = LockOrder.withChecking(
            hierarchy: benchHierarchy, learnsOrder: true, printsReports: true
        ) {
            let count = 101
            let firsts = (0..<count).map { CheckedMutex("cycle.a.\($0)", class: .instance) }
            let seconds = (0..<count).map { CheckedMutex("cycle.b.\($0)", class: .instance) }
            for index in 0..<count {
                firsts[index].withLock { seconds[index].withLock {} }
            }
            for index in 0..<count {
                let start = monotonicNanoseconds()
                seconds[index].lock()
                firsts[index].lock()
                let elapsed = Double(monotonicNanoseconds() - start) / 1000
                firsts[index].unlock()
                seconds[index].unlock()
                if index == 0 {
                    coldMicroseconds = elapsed
                } else {
                    warmMicroseconds += elapsed / Double(count - 1)
                }
            }
        }
        dup2(saved, 2)
        close(saved)
        close(null)
        report.notes.append(
            "A first violation (dedup, capture, symbolize, format, print): \(format(coldMicroseconds)) us the first time in "
                + "the process (symbol cache cold), \(format(warmMicroseconds)) us on average for the next "
                + "\(violations.count - 1) distinct ones (cache warm).")
        print("  first violation: \(format(coldMicroseconds)) us cold, \(format(warmMicroseconds)) us warm")
    }
}
