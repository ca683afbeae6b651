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
            ])
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
            let violations = LockOrderChecker.withChecking(
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

enum UncontendedWorkloads {
    static let section = "1. Uncontended lock + unlock"

    static func run(_ options: BenchOptions, into report: BenchReport) {
        print(section)
        let counter = Counter()
        let raw = RawPthreadMutex()
        let baseline = Measurement.run(
            "raw pthread_mutex_t", operations: options.operations, repetitions: options.repetitions
        ) { count in
            for _ in 0..<count {
                raw.lock()
                counter.value &+= 1
                raw.unlock()
            }
        }
        report.add(section, baseline, baseline: baseline.median)
        let rawRWLock = RawPthreadRWLock()
        report.add(
            section,
            Measurement.run(
                "raw pthread_rwlock_t write (the rwlock rows' own baseline)", operations: options.operations,
                repetitions: options.repetitions
            ) { count in
                for _ in 0..<count {
                    rawRWLock.lockWrite()
                    counter.value &+= 1
                    rawRWLock.unlock()
                }
            }, baseline: baseline.median)
        report.add(
            section,
            Measurement.run(
                "raw pthread_rwlock_t read", operations: options.operations, repetitions: options.repetitions
            ) { count in
                for _ in 0..<count {
                    rawRWLock.lockRead()
                    counter.value &+= 1
                    rawRWLock.unlock()
                }
            }, baseline: baseline.median)
        let standardMutex = Mutex<Int>(0)
        let standard = Measurement.run(
            "Synchronization.Mutex.withLock", operations: options.operations, repetitions: options.repetitions
        ) { count in
            for _ in 0..<count { standardMutex.withLock { $0 &+= 1 } }
        }
        report.add(section, standard, baseline: baseline.median)
        for variant in CheckingVariant.allCases {
            variant.run {
                let mutex = CheckedMutex(declared: "bench.outer")
                report.add(
                    section,
                    Measurement.run(
                        "CheckedMutex, \(variant.label)", operations: options.operations,
                        repetitions: options.repetitions
                    ) { count in
                        for _ in 0..<count {
                            mutex.lock()
                            counter.value &+= 1
                            mutex.unlock()
                        }
                    }, baseline: baseline.median)
                let reentrant = CheckedReentrantMutex(declared: "bench.outer")
                report.add(
                    section,
                    Measurement.run(
                        "CheckedReentrantMutex, \(variant.label)", operations: options.operations,
                        repetitions: options.repetitions
                    ) { count in
                        for _ in 0..<count {
                            reentrant.lock()
                            counter.value &+= 1
                            reentrant.unlock()
                        }
                    }, baseline: baseline.median)
                let spin = CheckedSpinLock(declared: "bench.outer")
                report.add(
                    section,
                    Measurement.run(
                        "CheckedSpinLock, \(variant.label)", operations: options.operations,
                        repetitions: options.repetitions
                    ) { count in
                        for _ in 0..<count {
                            spin.lock()
                            counter.value &+= 1
                            spin.unlock()
                        }
                    }, baseline: baseline.median)
                let reentrantSpin = CheckedReentrantSpinLock(declared: "bench.outer")
                report.add(
                    section,
                    Measurement.run(
                        "CheckedReentrantSpinLock, \(variant.label)", operations: options.operations,
                        repetitions: options.repetitions
                    ) { count in
                        for _ in 0..<count {
                            reentrantSpin.lock()
                            counter.value &+= 1
                            reentrantSpin.unlock()
                        }
                    }, baseline: baseline.median)
                let rwlock = CheckedReadWriteLock(declared: "bench.outer")
                report.add(
                    section,
                    Measurement.run(
                        "CheckedReadWriteLock write, \(variant.label)", operations: options.operations,
                        repetitions: options.repetitions
                    ) { count in
                        for _ in 0..<count {
                            rwlock.lockWrite()
                            counter.value &+= 1
                            rwlock.unlockWrite()
                        }
                    }, baseline: baseline.median)
                report.add(
                    section,
                    Measurement.run(
                        "CheckedReadWriteLock read, \(variant.label)", operations: options.operations,
                        repetitions: options.repetitions
                    ) { count in
                        for _ in 0..<count {
                            rwlock.lockRead()
                            counter.value &+= 1
                            rwlock.unlockRead()
                        }
                    }, baseline: baseline.median)
            }
        }
        blackHole(counter.value)
    }
}

enum NestedWorkloads {
    static let section = "2. Nested: three locks in declared order, then released"

    static func raw(_ options: BenchOptions) -> Measurement {
        let counter = Counter()
        let outer = RawPthreadMutex()
        let middle = RawPthreadMutex()
        let inner = RawPthreadMutex()
        let measurement = Measurement.run(
            "raw pthread_mutex_t x3", operations: options.operations, repetitions: options.repetitions
        ) { count in
            for _ in 0..<count {
                outer.lock()
                middle.lock()
                inner.lock()
                counter.value &+= 1
                inner.unlock()
                middle.unlock()
                outer.unlock()
            }
        }
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
                let outer = CheckedMutex(declared: "bench.outer")
                let middle = CheckedMutex(declared: "bench.middle")
                let inner = CheckedMutex(declared: "bench.inner")
                report.add(
                    section,
                    Measurement.run(
                        "CheckedMutex x3, \(variant.label)", operations: options.operations,
                        repetitions: options.repetitions
                    ) { count in
                        for _ in 0..<count {
                            outer.lock()
                            middle.lock()
                            inner.lock()
                            counter.value &+= 1
                            inner.unlock()
                            middle.unlock()
                            outer.unlock()
                        }
                    }, baseline: baseline.median)
            }
        }
        blackHole(counter.value)
    }
}
