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
            InterleavedRounds.variants(counter) + ContainerInstructionVariants.variants()
            + ChainWorkloads.variants(threadCounts: [1, 2])
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
}
