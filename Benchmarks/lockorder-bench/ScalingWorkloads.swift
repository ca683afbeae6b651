import LockCore

#if canImport(Glibc)
    import Glibc
#endif

/// Two threads on disjoint locks with checking on: the fast path takes no global lock, so two
/// threads should do nearly twice the work of one.
enum ThreadScalingWorkload {
    static let section = "3. Two threads on disjoint locks, checking on (levels + learned graph)"

    static func run(_ options: BenchOptions, into report: BenchReport) {
        print(section)
        CheckingVariant.levelsAndGraph.run {
            // Two locks (and counters) made far apart, so that no cache line is shared between
            // the threads: what is measured is the checker, not false sharing of neighbours.
            let first = CheckedMutex(declared: "bench.outer")
            let spacers = (0..<16).map { _ in CheckedMutex(declared: "bench.outer") }
            let second = CheckedMutex(declared: "bench.outer")
            let locks = [first, second]
            let counters = [PaddedCounter(), PaddedCounter()]
            blackHole(spacers.count)
            func work(_ index: Int, _ count: Int) {
                let lock = locks[index]
                let counter = counters[index]
                for _ in 0..<count {
                    lock.lock()
                    counter.increment()
                    lock.unlock()
                }
            }
            let operations = options.operations
            let one = Measurement.run("one thread", operations: operations, repetitions: options.repetitions)
            { count in
                work(0, count)
            }
            let two = Measurement.run(
                "two threads, each the same count", operations: operations, repetitions: options.repetitions
            ) { count in
                let box = WorkBox(work: work, count: count)
                let thread = BenchThread { box.work(1, box.count) }
                work(0, count)
                thread.join()
            }
            report.add(section, one, baseline: nil, note: "ns per operation")
            report.add(section, two, baseline: nil, note: "ns per operation of each thread")
            let speedup = 2 * one.median / two.median
            report.notes.append(
                "Two threads on disjoint locks: \(format(speedup))x the throughput of one (target >= 1.8x).")
            print("  throughput of two threads: \(format(speedup))x one")
            blackHole(counters.map(\.total))
        }
    }
}

/// A counter alone on its cache lines.
final class PaddedCounter: @unchecked Sendable {
    private var padding = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    @inline(__always) func increment() { padding.8 &+= 1 }
    var total: Int { padding.8 }
}

final class WorkBox: @unchecked Sendable {
    let work: (Int, Int) -> Void
    let count: Int
    init(work: @escaping (Int, Int) -> Void, count: Int) {
        self.work = work
        self.count = count
    }
}

/// A pthread for the scaling workload.
final class BenchThread: @unchecked Sendable {
    private var thread = pthread_t()

    init(_ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(BenchThreadBody(body)).toOpaque()
        pthread_create(&thread, nil, benchThreadMain, context)
    }

    func join() { pthread_join(thread, nil) }
}

final class BenchThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

func benchThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<BenchThreadBody>.fromOpaque(context!).takeRetainedValue().body()
    return nil
}

/// A million locks over a thousand classes, and a graph of ten thousand edges.
enum ScaleWorkload {
    static let section = "4. Scale"

    /// Resident memory from /proc/self/statm: at a million objects, page granularity is noise.
    static func allocatedBytes() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var size = 0
        var resident = 0
        _ = withUnsafeMutablePointer(to: &size) { sizePointer in
            withUnsafeMutablePointer(to: &resident) { residentPointer in
                withVaList([sizePointer, residentPointer]) { vfscanf(file, "%ld %ld", $0) }
            }
        }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func run(_ options: BenchOptions, into report: BenchReport) {
        print(section)
        let classCount = 1_000
        let instanceCount = options.operations >= 2_000_000 ? 1_000_000 : 100_000
        let names = (0..<classCount).map { "scale.class.\($0)" }
        let firstOfEachClass = names.map { CheckedMutex(declared: $0) }
        var locks: [CheckedMutex] = []
        locks.reserveCapacity(instanceCount)
        let before = allocatedBytes()
        for index in 0..<instanceCount { locks.append(CheckedMutex(declared: names[index % classCount])) }
        let after = allocatedBytes()
        let perInstance = Double(after - before) / Double(instanceCount)
        let pthreadSize = Double(MemoryLayout<pthread_mutex_t>.size)
        // A class costs what a lock of a new class costs beyond a lock of an existing class.
        let newClassCount = 20_000
        var newClassLocks: [CheckedMutex] = []
        newClassLocks.reserveCapacity(newClassCount)
        let beforeClasses = allocatedBytes()
        for index in 0..<newClassCount {
            newClassLocks.append(CheckedMutex(declared: "scale.extra.\(index)"))
        }
        let afterClasses = allocatedBytes()
        let classBytes = Double(afterClasses - beforeClasses) / Double(newClassCount) - perInstance
        // The benchmark's own array slot (8 bytes per lock) is resident too: not the lock's.
        let perLock = perInstance - Double(MemoryLayout<CheckedMutex>.stride)
        report.notes.append(
            "Memory: \(instanceCount) CheckedMutex over \(classCount) classes: \(format(perLock, decimals: 1)) bytes "
                + "resident per lock (the \(Int(pthreadSize))-byte pthread_mutex_t out of line plus the lock object, "
                + "each in its own malloc chunk), so \(format(perLock - pthreadSize, decimals: 1)) bytes beyond the "
                + "pthread object (target <= 64); about \(format(classBytes, decimals: 0)) bytes per class in the "
                + "checker's tables.")
        print(
            "  bytes per lock: \(format(perLock, decimals: 1)); beyond the pthread object: \(format(perLock - pthreadSize, decimals: 1)); per class: \(format(classBytes, decimals: 0))"
        )
        blackHole(locks.count + firstOfEachClass.count + newClassLocks.count)
        locks.removeAll()

        CheckingVariant.levelsAndGraph.run {
            // 142 instance-classed locks, every pair taken in index order: 10,011 edges, no cycle.
            let graphLocks = (0..<142).map { CheckedMutex("graph.\($0)", class: .instance) }
            for first in 0..<graphLocks.count {
                for second in (first + 1)..<graphLocks.count {
                    graphLocks[first].lock()
                    graphLocks[second].lock()
                    graphLocks[second].unlock()
                    graphLocks[first].unlock()
                }
            }
            let edges = LockOrder.learnedGraph().edges.count
            let locks = (
                CheckedMutex(declared: "bench.outer"), CheckedMutex(declared: "bench.middle"),
                CheckedMutex(declared: "bench.inner")
            )
            let counter = Counter()
            let measurement = measureNested(
                "CheckedMutex x3 nested, with \(edges) edges in the graph", locks, counter, options)
            let baseline = report.rows.first { $0.section == NestedWorkloads.section }?.measurement.median
            report.add(section, measurement, baseline: baseline, note: "ratio to raw nested x3")
            blackHole(counter.value)
            // Instance-classed locks take their edges with them when destroyed: keep them to here.
            withExtendedLifetime(graphLocks) {}
        }
    }
}
