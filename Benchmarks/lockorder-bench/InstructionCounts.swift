import LockCore

#if canImport(Glibc)
    import Glibc
#endif

/// `make bench-instructions` (scripts/bench-instructions.sh): one variant of the interleaved
/// table, run once with a fixed warm-up, for callgrind to count. The script runs each variant
/// with two operation counts; the difference of the two totals over the difference of the
/// counts is the instructions of one operation, exactly, whatever the setup cost.
enum InstructionCounts {
    static let warmUpOperations = 1_000

    static func runOne(_ name: String, _ options: BenchOptions) {
        let counter = Counter()
        let variants =
            InterleavedRounds.variants(counter) + pairVariants(counter)
            + ContainerInstructionVariants.variants() + ChainWorkloads.variants(threadCounts: [1, 2])
        if name == "list" {
            for variant in variants { print(variant.name) }
            return
        }
        guard let variant = variants.first(where: { $0.name == name }) else {
            print("lockorder-bench: no variant named '\(name)' (--instructions list names them)")
            exit(1)
        }
        variant.checking.run {
            let body = variant.prepare()
            body(warmUpOperations)
            body(options.operations)
        }
        blackHole(counter.value)
    }

    /// Two locks nested, of two classes and of one class (issue 12's instance order, R32): with
    /// the learned graph on, one class's pair mixes the lock ids into the chain key, and its
    /// steady state must stay on the chain cache like the two classes' pair.
    static func pairVariants(_ counter: Counter) -> [InterleavedVariant] {
        var variants = [
            InterleavedVariant(name: "raw pthread_mutex_t x2", baseline: nil, checking: .off) {
                let locks = (RawPthreadMutex(), RawPthreadMutex())
                return { count in nestedPair(locks, counter, count) }
            }
        ]
        for checking in CheckingVariant.allCases {
            variants += [
                InterleavedVariant(
                    name: "CheckedMutex x2 of two classes, \(checking.label)",
                    baseline: "raw pthread_mutex_t x2",
                    checking: checking
                ) {
                    let locks = (
                        CheckedMutex(declared: "bench.outer"), CheckedMutex(declared: "bench.middle")
                    )
                    return { count in nestedPair(locks, counter, count) }
                },
                InterleavedVariant(
                    name: "CheckedMutex x2 of one class, \(checking.label)",
                    baseline: "raw pthread_mutex_t x2",
                    checking: checking
                ) {
                    let pair = (0..<2).map { _ in CheckedMutex("bench.account") }  // one line: one class
                    return { count in nestedPair((pair[0], pair[1]), counter, count) }
                },
            ]
        }
        return variants
    }
}
