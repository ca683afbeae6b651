import LockCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The hierarchy the benchmark declares: three levels, taken outer to inner.
let benchHierarchy: LockHierarchy = {
    do {
        return try LockHierarchy(
            name: "bench",
            locks: [
                DeclaredLock(name: "bench.outer", level: 3),
                DeclaredLock(name: "bench.middle", level: 2),
                DeclaredLock(name: "bench.inner", level: 1),
            ] + ChainWorkloads.declaredLocks)
    } catch {
        fatalError("\(error)")
    }
}()

/// The three checking configurations every lock type is measured in.
enum CheckingVariant: CaseIterable {
    case off, levels, levelsAndGraph

    var label: String {
        switch self {
        case .off: "checking off"
        case .levels: "checking on, levels"
        case .levelsAndGraph: "checking on, levels + learned graph"
        }
    }

    /// Runs `body` under this variant's checking configuration.
    func run(_ body: () -> Void) {
        switch self {
        case .off:
            body()
        case .levels, .levelsAndGraph:
            let violations = LockOrder.withChecking(
                hierarchy: benchHierarchy, learnsOrder: self == .levelsAndGraph
            ) {
                body()
            }
            if !violations.isEmpty { fatalError("the benchmark broke a rule: \(violations[0].text)") }
        }
    }
}

/// A raw pthread mutex: the 1.00x of every table.
final class RawPthreadMutex: @unchecked Sendable {
    let mutex: UnsafeMutablePointer<pthread_mutex_t>
    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }
    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }
}

/// A raw pthread reader-writer lock, the baseline of the CheckedReadWriteLock rows.
final class RawPthreadRWLock: @unchecked Sendable {
    let rwlock: UnsafeMutablePointer<pthread_rwlock_t>
    init() {
        rwlock = .allocate(capacity: 1)
        rwlock.initialize(to: pthread_rwlock_t())
        pthread_rwlock_init(rwlock, nil)
    }
    @inline(__always) func lockRead() { pthread_rwlock_rdlock(rwlock) }
    @inline(__always) func lockWrite() { pthread_rwlock_wrlock(rwlock) }
    @inline(__always) func unlock() { pthread_rwlock_unlock(rwlock) }
}

/// One lock as the workloads take it: a lock type, or one side of a reader-writer lock.
protocol BenchLock {
    func acquire()
    func release()
}

extension RawPthreadMutex: BenchLock {
    @inline(__always) func acquire() { lock() }
    @inline(__always) func release() { unlock() }
}

extension CheckedMutex: BenchLock {
    @inline(__always) func acquire() { lock() }
    @inline(__always) func release() { unlock() }
}

extension CheckedReentrantMutex: BenchLock {
    @inline(__always) func acquire() { lock() }
    @inline(__always) func release() { unlock() }
}

extension CheckedSpinLock: BenchLock {
    @inline(__always) func acquire() { lock() }
    @inline(__always) func release() { unlock() }
}

extension CheckedReentrantSpinLock: BenchLock {
    @inline(__always) func acquire() { lock() }
    @inline(__always) func release() { unlock() }
}

/// The write side of a raw reader-writer lock.
struct RawWriteSide: BenchLock {
    let rwlock: RawPthreadRWLock
    @inline(__always) func acquire() { rwlock.lockWrite() }
    @inline(__always) func release() { rwlock.unlock() }
}

/// The read side of a raw reader-writer lock.
struct RawReadSide: BenchLock {
    let rwlock: RawPthreadRWLock
    @inline(__always) func acquire() { rwlock.lockRead() }
    @inline(__always) func release() { rwlock.unlock() }
}

/// The write side of a checked reader-writer lock.
struct CheckedWriteSide: BenchLock {
    let rwlock: CheckedReadWriteLock
    @inline(__always) func acquire() { rwlock.lockWrite() }
    @inline(__always) func release() { rwlock.unlockWrite() }
}

/// The read side of a checked reader-writer lock.
struct CheckedReadSide: BenchLock {
    let rwlock: CheckedReadWriteLock
    @inline(__always) func acquire() { rwlock.lockRead() }
    @inline(__always) func release() { rwlock.unlockRead() }
}

/// Measures `acquire`, an increment, `release` in a loop.
@inline(__always)
func measureLockUnlock<Lock: BenchLock>(
    _ name: String, _ lock: Lock, _ counter: Counter, _ options: BenchOptions
) -> Measurement {
    Measurement.run(name, operations: options.operations, repetitions: options.repetitions) { count in
        lockUnlock(lock, counter, count)
    }
}

/// Measures three locks taken in order and released in reverse, in a loop.
@inline(__always)
func measureNested<Lock: BenchLock>(
    _ name: String, _ locks: (Lock, Lock, Lock), _ counter: Counter, _ options: BenchOptions
) -> Measurement {
    Measurement.run(name, operations: options.operations, repetitions: options.repetitions) { count in
        nested(locks, counter, count)
    }
}

/// Measures two locks taken in order and released in reverse, in a loop.
@inline(__always)
func measurePair<Lock: BenchLock>(
    _ name: String, _ locks: (Lock, Lock), _ counter: Counter, _ options: BenchOptions
) -> Measurement {
    Measurement.run(name, operations: options.operations, repetitions: options.repetitions) { count in
        nestedPair(locks, counter, count)
    }
}

enum UncontendedWorkloads {
    static let section = "1. Uncontended lock + unlock"

    static func run(_ options: BenchOptions, into report: BenchReport) {
        print(section)
        let counter = Counter()
        let baseline = measureLockUnlock("raw pthread_mutex_t", RawPthreadMutex(), counter, options)
        report.add(section, baseline, baseline: baseline.median)
        let rawRWLock = RawPthreadRWLock()
        let rawWrite = RawWriteSide(rwlock: rawRWLock)
        let rawRead = RawReadSide(rwlock: rawRWLock)
        let rows: [(String, Measurement)] = [
            (
                "raw pthread_rwlock_t write (the rwlock rows' own baseline)",
                measureLockUnlock("", rawWrite, counter, options)
            ),
            ("raw pthread_rwlock_t read", measureLockUnlock("", rawRead, counter, options)),
        ]
        for (name, measurement) in rows {
            report.add(
                section, Measurement(name: name, samples: measurement.samples), baseline: baseline.median)
        }
        let standardMutex = Mutex<Int>(0)
        let standard = Measurement.run(
            "Synchronization.Mutex.withLock", operations: options.operations, repetitions: options.repetitions
        ) { count in
            for _ in 0..<count { standardMutex.withLock { $0 &+= 1 } }
        }
        report.add(section, standard, baseline: baseline.median)
        for variant in CheckingVariant.allCases {
            variant.run {
                let label = variant.label
                let rwlock = CheckedReadWriteLock(declared: "bench.outer")
                let checkedWrite = CheckedWriteSide(rwlock: rwlock)
                let checkedRead = CheckedReadSide(rwlock: rwlock)
                let measurements = [
                    measureLockUnlock(
                        "CheckedMutex, \(label)", CheckedMutex(declared: "bench.outer"), counter, options),
                    measureLockUnlock(
                        "CheckedReentrantMutex, \(label)", CheckedReentrantMutex(declared: "bench.outer"),
                        counter,
                        options),
                    measureLockUnlock(
                        "CheckedSpinLock, \(label)", CheckedSpinLock(declared: "bench.outer"), counter,
                        options),
                    measureLockUnlock(
                        "CheckedReentrantSpinLock, \(label)",
                        CheckedReentrantSpinLock(declared: "bench.outer"),
                        counter, options),
                    measureLockUnlock("CheckedReadWriteLock write, \(label)", checkedWrite, counter, options),
                    measureLockUnlock("CheckedReadWriteLock read, \(label)", checkedRead, counter, options),
                ]
                for measurement in measurements {
                    report.add(section, measurement, baseline: baseline.median)
                }
            }
        }
        blackHole(counter.value)
    }
}

enum NestedWorkloads {
    static let section = "2. Nested: three locks in declared order, then released"

    static func raw(_ options: BenchOptions) -> Measurement {
        let counter = Counter()
        let locks = (RawPthreadMutex(), RawPthreadMutex(), RawPthreadMutex())
        let measurement = measureNested("raw pthread_mutex_t x3", locks, counter, options)
        blackHole(counter.value)
        return measurement
    }

    static func run(_ options: BenchOptions, into report: BenchReport) {
        print(section)
        let baseline = raw(options)
        report.add(section, baseline, baseline: baseline.median)
        let counter = Counter()
        for variant in CheckingVariant.allCases {
            variant.run {
                let locks = (
                    CheckedMutex(declared: "bench.outer"), CheckedMutex(declared: "bench.middle"),
                    CheckedMutex(declared: "bench.inner")
                )
                report.add(
                    section, measureNested("CheckedMutex x3, \(variant.label)", locks, counter, options),
                    baseline: baseline.median)
            }
        }
        // Two locks made at one line (one class), always nested in one order: the steady state of
        // the instance order (R32), which the chain cache must cover. Its own raw baseline.
        let pairBaseline = measurePair(
            "raw pthread_mutex_t x2 (the pair rows' own baseline)", (RawPthreadMutex(), RawPthreadMutex()),
            counter,
            options)
        report.add(section, pairBaseline, baseline: pairBaseline.median)
        for variant in CheckingVariant.allCases {
            variant.run {
                let pair = (0..<2).map { _ in CheckedMutex("bench.account") }
                report.add(
                    section,
                    measurePair(
                        "CheckedMutex x2 of one class, \(variant.label)", (pair[0], pair[1]), counter, options
                    ),
                    baseline: pairBaseline.median)
            }
        }
        blackHole(counter.value)
    }
}
