import LockCore
import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// Two threads on one lock: the contended path, where a checked acquisition whose raw trylock
/// failed publishes its wait for the watchdog (docs/watchdog.md). Compared with a raw pthread
/// mutex under the same contention; the watchdog's publishing is switched on in-process (no
/// watchdog thread runs, so only the waiting threads' own cost is measured).
enum ContendedWorkloads {
    static let section = "6. Two threads on one lock (contended), ns per operation of each thread"

    static func run(_ options: BenchOptions, into report: BenchReport) {
        print(section)
        let operations = options.operations / 4
        let raw = RawPthreadMutex()
        let rawCounter = PaddedCounter()
        let rawRun = measure("raw pthread_mutex_t", operations, options) { count in
            for _ in 0..<count {
                raw.lock()
                rawCounter.increment()
                raw.unlock()
            }
        }
        report.add(section, rawRun, baseline: rawRun.median)
        let mutex = CheckedMutex(declared: "bench.outer")
        let counter = PaddedCounter()
        let work: @Sendable (Int) -> Void = { count in
            for _ in 0..<count {
                mutex.lock()
                counter.increment()
                mutex.unlock()
            }
        }
        report.add(
            section, measure("CheckedMutex, checking off", operations, options, work), baseline: rawRun.median
        )
        CheckingVariant.levelsAndGraph.run {
            report.add(
                section, measure("CheckedMutex, checking on, watchdog off", operations, options, work),
                baseline: rawRun.median)
            WaitRegistry.isPublishing.store(true, ordering: .relaxed)
            report.add(
                section,
                measure(
                    "CheckedMutex, checking on, waits published (watchdog on)", operations, options, work),
                baseline: rawRun.median)
            WaitRegistry.isPublishing.store(false, ordering: .relaxed)
            // Timed holds and statistics: every operation then takes the full calls.
            HoldTiming.configure(holdWarning: 3_600_000_000_000, statistics: false)
            report.add(
                section, measure("CheckedMutex, checking on, hold warnings on", operations, options, work),
                baseline: rawRun.median)
            HoldTiming.configure(holdWarning: nil, statistics: true)
            report.add(
                section, measure("CheckedMutex, checking on, statistics on", operations, options, work),
                baseline: rawRun.median)
            HoldTiming.configure(holdWarning: nil, statistics: false)
        }
        blackHole(rawCounter.total + counter.total)
    }

    private static func measure(
        _ name: String, _ operations: Int, _ options: BenchOptions, _ work: @escaping @Sendable (Int) -> Void
    ) -> Measurement {
        Measurement.run(name, operations: operations, repetitions: options.repetitions) { count in
            let thread = BenchThread { work(count) }
            work(count)
            thread.join()
        }
    }
}
