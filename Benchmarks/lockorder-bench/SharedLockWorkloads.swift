import LockCore

/// Issue 14's contended rows: several threads on a few shared locks, and many readers on one
/// reader-writer lock, each checked variant against the raw lock in the same interleaved round.
/// A time ratio of r is a throughput of 1/r of the raw lock's.
enum SharedLockWorkloads {
    static let section = "9. Shared locks: threads on a few shared locks, and a reader-heavy rwlock"
    static let shapes = [
        (threads: 4, locks: 2), (threads: 4, locks: 4), (threads: 8, locks: 2), (threads: 8, locks: 4),
    ]
    static let readerThreads = 4
    /// One write in this many operations on the reader-heavy rwlock.
    static let writeEvery = 16

    /// Operations per thread per round.
    static func operations(_ options: BenchOptions) -> Int { max(options.operations / 16, 1) }

    static func variants() -> [InterleavedVariant] {
        var variants: [InterleavedVariant] = []
        for shape in shapes {
            let label = "\(shape.threads) threads on \(shape.locks) locks"
            let raw = "\(label), raw pthread_mutex_t"
            variants.append(
                InterleavedVariant(name: raw, baseline: nil, checking: .off) {
                    SharedRun(threads: shape.threads, locks: (0..<shape.locks).map { _ in RawPthreadMutex() })
                        .body
                })
            for checking in [CheckingVariant.off, .levelsAndGraph] {
                variants.append(
                    InterleavedVariant(
                        name: "\(label), CheckedMutex, \(checking.label)", baseline: raw, checking: checking
                    ) {
                        SharedRun(
                            threads: shape.threads,
                            locks: (0..<shape.locks).map { _ in CheckedMutex(declared: "bench.outer") }
                        ).body
                    })
            }
        }
        let readers = "\(readerThreads) threads, 1 write in \(writeEvery)"
        let raw = "\(readers), raw pthread_rwlock_t"
        variants.append(
            InterleavedVariant(name: raw, baseline: nil, checking: .off) {
                let rwlock = RawPthreadRWLock()
                return ReaderHeavyRun(
                    threads: readerThreads, read: RawReadSide(rwlock: rwlock),
                    write: RawWriteSide(rwlock: rwlock)
                ).body
            })
        for checking in [CheckingVariant.off, .levelsAndGraph] {
            variants.append(
                InterleavedVariant(
                    name: "\(readers), CheckedReadWriteLock, \(checking.label)", baseline: raw,
                    checking: checking
                ) {
                    let rwlock = CheckedReadWriteLock(declared: "bench.outer")
                    return ReaderHeavyRun(
                        threads: readerThreads, read: CheckedReadSide(rwlock: rwlock),
                        write: CheckedWriteSide(rwlock: rwlock)
                    ).body
                })
        }
        return variants
    }

    static func run(_ options: BenchOptions, into report: BenchReport) {
        report.sharedResults = InterleavedRounds.runSection(
            section, variants(), rounds: options.rounds, operations: operations(options))
    }

    /// Throughput against the raw lock (the inverse of the median per-round time ratio).
    static func throughputNote(_ results: [InterleavedResult]) -> String {
        let lines = results.filter { !$0.ratios.isEmpty && $0.name.contains("checking on") }.map {
            "- \($0.name): \(format(1 / median($0.ratios)))x the raw lock's throughput"
        }
        return (["Throughput with checking on (target >= 0.9x):"] + lines).joined(separator: "\n")
    }
}

/// Threads taking a few shared locks in turn: thread t's operation i takes lock (t + i) mod
/// the lock count, increments that lock's counter and releases it.
struct SharedRun<Lock: BenchLock & Sendable> {
    let threads: Int
    let locks: [Lock]
    let counters: [PaddedCounter]

    init(threads: Int, locks: [Lock]) {
        self.threads = threads
        self.locks = locks
        counters = locks.map { _ in PaddedCounter() }
    }

    var body: (Int) -> Void {
        let (locks, counters, threads) = (self.locks, self.counters, self.threads)
        @Sendable func work(_ thread: Int, _ count: Int) {
            var index = thread % locks.count
            for _ in 0..<count {
                locks[index].acquire()
                counters[index].increment()
                locks[index].release()
                index += 1
                if index == locks.count { index = 0 }
            }
        }
        return { count in
            let workers = (1..<threads).map { thread in BenchThread { work(thread, count) } }
            work(0, count)
            for worker in workers { worker.join() }
            blackHole(counters.map(\.total))
        }
    }
}

/// Threads on one reader-writer lock, reading but for one write in `writeEvery` operations.
struct ReaderHeavyRun<Read: BenchLock & Sendable, Write: BenchLock & Sendable> {
    let threads: Int
    let read: Read
    let write: Write
    let counter = PaddedCounter()

    var body: (Int) -> Void {
        let (read, write, counter, threads) = (self.read, self.write, self.counter, self.threads)
        @Sendable func work(_ thread: Int, _ count: Int) {
            var sum = 0
            for operation in 0..<count {
                if (operation &+ thread) % SharedLockWorkloads.writeEvery == 0 {
                    write.acquire()
                    counter.increment()
                    write.release()
                } else {
                    read.acquire()
                    sum &+= counter.total
                    read.release()
                }
            }
            blackHole(sum)
        }
        return { count in
            let workers = (1..<threads).map { thread in BenchThread { work(thread, count) } }
            work(0, count)
            for worker in workers { worker.join() }
        }
    }
}
