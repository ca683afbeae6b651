import LockCore

/// Issue 14's probe: many distinct chains of held classes on several threads. 20 classes of 5
/// locks each (100 locks a thread), 576 distinct chains of depth 1 to 4, each a strictly
/// descending run of declared levels (so every chain is allowed), taken in a fixed pseudo-random
/// sequence. With the learned graph on, every acquisition made while holding a lock looks its
/// chain up: before the process-wide chain set, a chain missing from the thread's 64-slot cache
/// took the process-wide slow path, and threads queued behind each other there.
///
/// Each thread has its own 100 locks (the same 20 classes): the chains, which are about
/// classes, are shared by the threads, and the locks are not, so what is measured is the
/// checker and not contention on the locks (section 9 measures shared locks).
enum ChainWorkloads {
    static let section = "8. Many chains: 20 classes, 576 chains of depth 1-4, per thread count"
    static let classCount = 20
    static let locksPerClass = 5
    static let chainCount = 576
    static let threadCounts = [1, 2, 8]

    /// The probe's classes, declared in the bench hierarchy: class 0 is the outermost (highest level).
    static let classNames = (0..<classCount).map { "bench.chain.\($0)" }
    static let declaredLocks = classNames.enumerated().map { index, name in
        DeclaredLock(name: name, level: 100 - index)
    }

    static let plan = ChainPlan(
        classes: classCount, locksPerClass: locksPerClass, chains: chainCount, steps: 4_096)

    /// Operations (chains taken and released) per thread per round: a chain is 1 to 4 locks.
    static func operations(_ options: BenchOptions) -> Int { max(options.operations / 8, 1) }

    static func variants(threadCounts: [Int] = threadCounts) -> [InterleavedVariant] {
        var variants: [InterleavedVariant] = []
        for threads in threadCounts {
            let raw = "chains, \(threads) thread\(threads == 1 ? "" : "s"), raw pthread_mutex_t"
            variants.append(
                InterleavedVariant(name: raw, baseline: nil, checking: .off) {
                    ChainRun(threads: threads) { _ in (0..<plan.lockCount).map { _ in RawPthreadMutex() } }
                        .body
                })
            for checking in CheckingVariant.allCases {
                variants.append(
                    InterleavedVariant(
                        name:
                            "chains, \(threads) thread\(threads == 1 ? "" : "s"), CheckedMutex, \(checking.label)",
                        baseline: raw, checking: checking
                    ) {
                        ChainRun(threads: threads) { _ in
                            (0..<plan.lockCount).map {
                                CheckedMutex(declared: classNames[$0 / locksPerClass])
                            }
                        }.body
                    })
            }
        }
        return variants
    }

    static func run(_ options: BenchOptions, into report: BenchReport) {
        report.chainResults = InterleavedRounds.runSection(
            section, variants(), rounds: options.rounds, operations: operations(options))
    }

    /// How the time per operation grows with threads, for each variant of one thread.
    static func scalingNote(_ results: [InterleavedResult]) -> String {
        let byName = Dictionary(uniqueKeysWithValues: results.map { ($0.name, median($0.times)) })
        let kinds = ["raw pthread_mutex_t"] + CheckingVariant.allCases.map { "CheckedMutex, \($0.label)" }
        let lines = kinds.compactMap { kind -> String? in
            guard let one = byName["chains, 1 thread, \(kind)"] else { return nil }
            let growth = threadCounts.dropFirst().compactMap { threads in
                byName["chains, \(threads) threads, \(kind)"].map {
                    "\(threads) threads \(format($0 / one))x"
                }
            }
            return "- \(kind): wall time per operation against 1 thread: " + growth.joined(separator: ", ")
        }
        return
            (["Scaling (2 cores: 2 and 8 threads do 2x and 8x the work of one in the wall time measured):"]
            + lines + againstOff(results)).joined(separator: "\n")
    }

    /// Each checked-on row against the checking-off row of its thread count, per round (every
    /// variant ran in every round): what checking adds to the same lock type.
    static func againstOff(_ results: [InterleavedResult]) -> [String] {
        let byName = Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0.times) })
        var lines = ["Checking on against checking off, per round (median, min-max of rounds):"]
        for threads in threadCounts {
            let prefix = "chains, \(threads) thread\(threads == 1 ? "" : "s"), CheckedMutex, "
            guard let off = byName[prefix + CheckingVariant.off.label] else { continue }
            for checking in [CheckingVariant.levels, .levelsAndGraph] {
                guard let on = byName[prefix + checking.label] else { continue }
                let ratios = zip(on, off).map { $0 / $1 }
                lines.append(
                    "- \(threads) thread\(threads == 1 ? "" : "s"), \(checking.label): \(format(median(ratios)))x "
                        + "(\(format(ratios.min() ?? 0))–\(format(ratios.max() ?? 0)))")
            }
        }
        return lines
    }
}

/// The probe's fixed pseudo-random chains and the sequence the threads take them in.
struct ChainPlan: Sendable {
    let lockCount: Int
    /// Lock indices (class * locksPerClass + instance) of every step, flattened.
    let lockIndices: [Int]
    /// Where each step's locks start in `lockIndices`, one more entry than steps.
    let starts: [Int]

    init(classes: Int, locksPerClass: Int, chains chainCount: Int, steps: Int) {
        lockCount = classes * locksPerClass
        var random = SplitMix(seed: 14)
        var chains: [[Int]] = []
        var seen = Set<[Int]>()
        while chains.count < chainCount {
            let depth = 1 + Int(random.next() % 4)
            let picked = Set((0..<depth).map { _ in Int(random.next() % UInt64(classes)) })
            let chain = picked.sorted()
            if seen.insert(chain).inserted { chains.append(chain) }
        }
        var indices: [Int] = []
        var starts = [0]
        for step in 0..<steps {
            // Every chain appears in the sequence; the rest of it picks chains at random.
            let chain = step < chains.count ? chains[step] : chains[Int(random.next() % UInt64(chains.count))]
            for lockClass in chain {
                indices.append(lockClass * locksPerClass + Int(random.next() % UInt64(locksPerClass)))
            }
            starts.append(indices.count)
        }
        var shuffledSteps = Array(0..<steps)
        for index in stride(from: steps - 1, to: 0, by: -1) {
            shuffledSteps.swapAt(index, Int(random.next() % UInt64(index + 1)))
        }
        var shuffledIndices: [Int] = []
        var shuffledStarts = [0]
        for step in shuffledSteps {
            shuffledIndices += indices[starts[step]..<starts[step + 1]]
            shuffledStarts.append(shuffledIndices.count)
        }
        lockIndices = shuffledIndices
        self.starts = shuffledStarts
    }

    var stepCount: Int { starts.count - 1 }

    /// Takes `count` chains from step `first` on (acquired in order, released in reverse).
    @inline(__always)
    func take<Lock: BenchLock>(_ locks: [Lock], from first: Int, _ count: Int, _ counter: PaddedCounter) {
        var step = first % stepCount
        for _ in 0..<count {
            let start = starts[step]
            let end = starts[step + 1]
            for index in start..<end { locks[lockIndices[index]].acquire() }
            counter.increment()
            for index in (start..<end).reversed() { locks[lockIndices[index]].release() }
            step += 1
            if step == stepCount { step = 0 }
        }
    }
}

/// A deterministic generator (SplitMix64), so every launch takes the same chains.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// One round's locks for every thread of a chain variant, and its timed body.
struct ChainRun<Lock: BenchLock & Sendable> {
    let threads: Int
    let locks: [[Lock]]
    let counters: [PaddedCounter]

    init(threads: Int, makeLocks: (Int) -> [Lock]) {
        self.threads = threads
        locks = (0..<threads).map(makeLocks)
        counters = (0..<threads).map { _ in PaddedCounter() }
    }

    /// Every thread takes `count` chains, each from its own place in the sequence; the main
    /// thread is thread 0.
    var body: (Int) -> Void {
        let (locks, counters, threads) = (self.locks, self.counters, self.threads)
        return { count in
            let workers = (1..<max(threads, 1)).map { index in
                BenchThread {
                    ChainWorkloads.plan.take(locks[index], from: index * 509, count, counters[index])
                }
            }
            ChainWorkloads.plan.take(locks[0], from: 0, count, counters[0])
            for worker in workers { worker.join() }
            blackHole(counters.map(\.total))
        }
    }
}
