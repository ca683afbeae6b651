import LockCore
import Synchronization

/// Variants measured in interleaved rounds: round r runs every variant once, in an order that
/// rotates with r, so a slow phase of the machine (another process, a frequency change) falls on
/// every variant alike instead of on whichever one was running. Each variant's cost is its
/// ratio to its baseline *of the same round*; the tables show the median of those per-round
/// ratios and their spread, which move far less between launches than the times themselves.
struct InterleavedVariant {
    /// The row's name.
    let name: String
    /// The variant this one is compared with in each round (nil for a baseline).
    let baseline: String?
    /// The checking configuration the body runs in.
    let checking: CheckingVariant
    /// Makes the locks and returns the timed body, which performs `count` operations. Called
    /// inside the checking configuration, once per round, so each round starts from fresh locks
    /// (the warm-up pass takes their first-time slow paths).
    let prepare: () -> (Int) -> Void
}

/// One variant's results over all rounds.
struct InterleavedResult {
    let name: String
    let baseline: String?
    /// Nanoseconds per operation, one per round.
    let times: [Double]
    /// The ratio to the baseline of the same round, one per round (empty for a baseline).
    let ratios: [Double]
}

enum InterleavedRounds {
    static let section = "0. Interleaved rounds: single and nested, each ratio taken within its round"

    /// The variants of the stable table: the fast path single and nested x3, off and on.
    static func variants(_ counter: Counter) -> [InterleavedVariant] {
        var variants: [InterleavedVariant] = [
            InterleavedVariant(name: "raw pthread_mutex_t", baseline: nil, checking: .off) {
                let lock = RawPthreadMutex()
                return { count in lockUnlock(lock, counter, count) }
            },
            InterleavedVariant(name: "Synchronization.Mutex", baseline: "raw pthread_mutex_t", checking: .off)
            {
                let mutex = Mutex<Int>(0)
                return { count in for _ in 0..<count { mutex.withLock { $0 &+= 1 } } }
            },
        ]
        for checking in CheckingVariant.allCases {
            variants.append(
                InterleavedVariant(
                    name: "CheckedMutex, \(checking.label)", baseline: "raw pthread_mutex_t",
                    checking: checking
                ) {
                    let lock = CheckedMutex(declared: "bench.outer")
                    return { count in lockUnlock(lock, counter, count) }
                })
        }
        // The drop-in types (docs/locks.md): the NIOLock shape and the Synchronization.Mutex
        // shape, each a CheckedMutex inside, taken with withLock as their callers do.
        for checking in CheckingVariant.allCases {
            variants.append(
                InterleavedVariant(
                    name: "CheckedNIOLock.withLock, \(checking.label)", baseline: "raw pthread_mutex_t",
                    checking: checking
                ) {
                    let lock = CheckedNIOLock(class: .declared("bench.outer"))
                    return { count in for _ in 0..<count { lock.withLock { counter.value &+= 1 } } }
                })
        }
        for checking in CheckingVariant.allCases {
            variants.append(
                InterleavedVariant(
                    name: "CheckedValueMutex.withLock, \(checking.label)", baseline: "raw pthread_mutex_t",
                    checking: checking
                ) {
                    let mutex = CheckedValueMutex<Int>(0, class: .declared("bench.outer"))
                    return { count in for _ in 0..<count { mutex.withLock { $0 &+= 1 } } }
                })
        }
        variants.append(
            InterleavedVariant(name: "raw pthread_mutex_t x3", baseline: nil, checking: .off) {
                let locks = (RawPthreadMutex(), RawPthreadMutex(), RawPthreadMutex())
                return { count in nested(locks, counter, count) }
            })
        for checking in CheckingVariant.allCases {
            variants.append(
                InterleavedVariant(
                    name: "CheckedMutex x3, \(checking.label)", baseline: "raw pthread_mutex_t x3",
                    checking: checking
                ) {
                    let locks = (
                        CheckedMutex(declared: "bench.outer"), CheckedMutex(declared: "bench.middle"),
                        CheckedMutex(declared: "bench.inner")
                    )
                    return { count in nested(locks, counter, count) }
                })
        }
        return variants
    }

    /// Runs `rounds` rounds of every variant, `operations` operations each.
    static func measure(_ variants: [InterleavedVariant], rounds: Int, operations: Int) -> [InterleavedResult]
    {
        var times = [[Double]](repeating: [], count: variants.count)
        for round in 0..<rounds {
            for step in 0..<variants.count {
                let index = (step + round) % variants.count
                let variant = variants[index]
                variant.checking.run {
                    let body = variant.prepare()
                    body(max(operations / 20, 1))  // warm-up
                    let start = monotonicNanoseconds()
                    body(operations)
                    times[index].append(Double(monotonicNanoseconds() - start) / Double(operations))
                }
            }
        }
        let indexByName = Dictionary(uniqueKeysWithValues: variants.enumerated().map { ($1.name, $0) })
        return variants.enumerated().map { index, variant in
            let ratios =
                variant.baseline.flatMap { indexByName[$0] }.map { baseline in
                    zip(times[index], times[baseline]).map { $0 / $1 }
                } ?? []
            return InterleavedResult(
                name: variant.name, baseline: variant.baseline, times: times[index], ratios: ratios)
        }
    }

    static func run(_ options: BenchOptions, into report: BenchReport) {
        print(section)
        let counter = Counter()
        let results = measure(variants(counter), rounds: options.rounds, operations: options.operations)
        blackHole(counter.value)
        report.interleaved = results
        printProgress(results)
    }

    /// Runs one section of variants in interleaved rounds: its title, then each variant's
    /// progress line; answers the results for the report's tables.
    static func runSection(
        _ title: String, _ variants: [InterleavedVariant], rounds: Int, operations: Int
    ) -> [InterleavedResult] {
        print(title)
        let results = measure(variants, rounds: rounds, operations: operations)
        printProgress(results)
        return results
    }

    /// Each variant's median time and median per-round ratio, one line each, as a section runs
    /// (the tables come at the end).
    static func printProgress(_ results: [InterleavedResult]) {
        for result in results {
            let ratio = result.ratios.isEmpty ? "" : " (\(format(median(result.ratios)))x)"
            print("  \(result.name): \(format(median(result.times))) ns\(ratio)")
        }
    }

    /// The table of one launch, or of several (`--launches`: the median of the launches'
    /// medians, and how far the launches' medians spread).
    static func table(_ launches: [[InterleavedResult]], title: String = section) -> [String] {
        guard let first = launches.first else { return [] }
        var lines = [
            "",
            "### \(title)",
            "",
            launches.count == 1
                ? "| variant | ns/op (median of rounds) | ratio (median of per-round ratios) | ratio spread (min–max of rounds) |"
                : "| variant | ns/op (median of launch medians) | ratio (median of launch medians) | launch medians (min–max) |",
            "|---|---:|---:|---:|",
        ]
        for (index, result) in first.enumerated() {
            let perLaunch = launches.map { $0[index] }
            let time = median(perLaunch.map { median($0.times) })
            var ratio = "—"
            var spread = "—"
            if !result.ratios.isEmpty {
                if launches.count == 1 {
                    ratio = format(median(result.ratios)) + "x"
                    spread = "\(format(result.ratios.min()!))–\(format(result.ratios.max()!))"
                } else {
                    let medians = perLaunch.map { median($0.ratios) }
                    ratio = format(median(medians)) + "x"
                    spread = "\(format(medians.min()!))–\(format(medians.max()!))"
                }
            }
            lines.append("| \(result.name) | \(format(time)) | \(ratio) | \(spread) |")
        }
        return lines
    }

    /// One line per variant for a parent launch to read (`--launch-child`): name, then the
    /// times and the ratios of every round.
    static func machineLines(_ results: [InterleavedResult]) -> [String] {
        results.map { result in
            "interleaved\t\(result.name)\t\(result.baseline ?? "")\t"
                + result.times.map { "\($0)" }.joined(separator: ",") + "\t"
                + result.ratios.map { "\($0)" }.joined(separator: ",")
        }
    }

    /// Reads `machineLines` back.
    static func parse(_ lines: [Substring]) -> [InterleavedResult] {
        lines.compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 5, fields[0] == "interleaved" else { return nil }
            let numbers = { (field: Substring) in field.split(separator: ",").compactMap { Double($0) } }
            return InterleavedResult(
                name: String(fields[1]), baseline: fields[2].isEmpty ? nil : String(fields[2]),
                times: numbers(fields[3]), ratios: numbers(fields[4]))
        }
    }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// One workload loop: `count` times acquire, increment, release (shared by every section).
@inline(__always)
func lockUnlock<Lock: BenchLock>(_ lock: Lock, _ counter: Counter, _ count: Int) {
    for _ in 0..<count {
        lock.acquire()
        counter.value &+= 1
        lock.release()
    }
}

/// Two locks taken in order and released in reverse, `count` times.
@inline(__always)
func nestedPair<Lock: BenchLock>(_ locks: (Lock, Lock), _ counter: Counter, _ count: Int) {
    for _ in 0..<count {
        locks.0.acquire()
        locks.1.acquire()
        counter.value &+= 1
        locks.1.release()
        locks.0.release()
    }
}

/// Three locks taken in order and released in reverse, `count` times.
@inline(__always)
func nested<Lock: BenchLock>(_ locks: (Lock, Lock, Lock), _ counter: Counter, _ count: Int) {
    for _ in 0..<count {
        locks.0.acquire()
        locks.1.acquire()
        locks.2.acquire()
        counter.value &+= 1
        locks.2.release()
        locks.1.release()
        locks.0.release()
    }
}
