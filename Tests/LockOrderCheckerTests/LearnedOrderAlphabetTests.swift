import LockCore
import LockOrderChecker
import LockOrderTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// The lockdep alphabet (Linux's lib/locking-selftest.c), run as a matrix of scenario x lock kind.
//
// How the letters read: each pair of letters is one "hold X, take Y" step (take X, take Y,
// release both), and the steps run one after another on one thread, so no real deadlock can
// happen; the learned order must still see the potential one. ABBA is "take A then B; then take
// B then A". AA is the one-step "hold A, take A" on the same lock (lockdep takes two locks of
// one class there; here two locks of one class are deliberately not ordered by the class graph,
// see docs/graph.md, so the interesting AA is the lock taken twice).
//
// The edges each scenario teaches, and the cycle its last step closes:
//
//   ABBA      A->B, B->A                 closes B->A->B
//   ABBCCA    A->B, B->C, C->A           closes C->A->B->C
//   ABCABC    A->B, C->A, B->C           closes B->C->A->B
//   ABBCCDDA  A->B, B->C, C->D, D->A     closes D->A->B->C->D
//   ABCDBDDA  A->B, C->D, B->D, D->A     closes D->A->B->D  (C->D is off the cycle)
//   ABCDBCDA  A->B, C->D, B->C, D->A     closes D->A->B->C->D
//
// Verdicts (none / order_cycle / self_deadlock), reasoned per kind:
//
//   scenario  | mutex      | reentrant | spinlock   | read (RP) | write (RP) | read (WP)
//   ----------+------------+-----------+------------+-----------+------------+--------------
//   AA        | self_dl(*) | none      | self_dl(*) | none      | self_dl(*) | self_deadlock
//   ABBA      | cycle      | cycle     | cycle      | none      | cycle      | cycle
//   ABBCCA    | cycle      | cycle     | cycle      | none      | cycle      | cycle
//   ABCABC    | cycle      | cycle     | cycle      | none      | cycle      | cycle
//   ABBCCDDA  | cycle      | cycle     | cycle      | none      | cycle      | cycle
//   ABCDBDDA  | cycle      | cycle     | cycle      | none      | cycle      | cycle
//   ABCDBCDA  | cycle      | cycle     | cycle      | none      | cycle      | cycle
//
//   RP = reader-preferring read-write lock (the default), WP = writer-preferring.
//   (*) certain self-deadlock: reported, then the process stops (abort). Those three cells are
//       not in the in-process matrix; each is an exit test below.
//
// Why: a mutex or spin lock taken again by its holder waits for itself forever. A reentrant
// mutex re-enters, but two threads taking two of them in opposite orders still deadlock, so the
// cycles count. On a reader-preferring lock a reader never waits while only readers hold it, so
// re-taking a read lock is fine and a cycle made only of reads cannot wait anywhere: no report.
// The write side excludes everything, like a mutex. On a writer-preferring lock a queued writer
// holds back new readers, so reads order like writes (a read cycle plus waiting writers is a
// real deadlock), and re-taking a read lock can wait behind a queued writer that waits for us:
// reported as a possible self_deadlock, and not stopped, since it is not certain.

/// The columns: a lock type and the mode every acquisition of a cell uses.
enum AlphabetKind: String, CaseIterable, Sendable {
    case mutex
    case reentrant
    case spinlock
    /// The read side of a reader-preferring `CheckedReadWriteLock`.
    case read
    /// The write side of a reader-preferring `CheckedReadWriteLock`.
    case write
    /// The read side of a writer-preferring `CheckedReadWriteLock`.
    case writerPreferringRead
}

/// The rows: lockdep's scenario names.
enum AlphabetScenario: String, CaseIterable, Sendable {
    // Spelled as lockdep spells them: the letters are the locks.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case AA, ABBA, ABBCCA, ABCABC, ABBCCDDA, ABCDBDDA, ABCDBCDA

    /// The "hold X, take Y" steps, in order: the name read two letters at a time.
    var steps: [(held: Character, taken: Character)] {
        let letters = Array(rawValue)
        return stride(from: 0, to: letters.count, by: 2).map { (letters[$0], letters[$0 + 1]) }
    }

    /// The cycle the last step closes, as the report lists it: the refused edge first (held ->
    /// acquired), then the learned path back from the acquired class to the held one.
    var reportedCycle: [String] {
        switch self {
        case .AA: []
        case .ABBA: ["BA", "AB"]
        case .ABBCCA: ["CA", "AB", "BC"]
        case .ABCABC: ["BC", "CA", "AB"]
        case .ABBCCDDA: ["DA", "AB", "BC", "CD"]
        case .ABCDBDDA: ["DA", "AB", "BD"]
        case .ABCDBCDA: ["DA", "AB", "BC", "CD"]
        }
    }
}

/// What a cell must report.
enum AlphabetVerdict: Sendable, Equatable {
    case none
    case orderCycle
    case selfDeadlock
    /// A certain self-deadlock: reported, then the process stops (covered by exit tests).
    case selfDeadlockStops
}

/// The table above, as data. Every cell is written out rather than derived, so a wrong rule in
/// the checker cannot hide behind a wrong rule in the test.
let alphabetVerdicts: [AlphabetScenario: [AlphabetKind: AlphabetVerdict]] = [
    .AA: [
        .mutex: .selfDeadlockStops, .reentrant: .none, .spinlock: .selfDeadlockStops, .read: .none,
        .write: .selfDeadlockStops, .writerPreferringRead: .selfDeadlock,
    ],
    .ABBA: [
        .mutex: .orderCycle, .reentrant: .orderCycle, .spinlock: .orderCycle, .read: .none,
        .write: .orderCycle,
        .writerPreferringRead: .orderCycle,
    ],
    .ABBCCA: [
        .mutex: .orderCycle, .reentrant: .orderCycle, .spinlock: .orderCycle, .read: .none,
        .write: .orderCycle,
        .writerPreferringRead: .orderCycle,
    ],
    .ABCABC: [
        .mutex: .orderCycle, .reentrant: .orderCycle, .spinlock: .orderCycle, .read: .none,
        .write: .orderCycle,
        .writerPreferringRead: .orderCycle,
    ],
    .ABBCCDDA: [
        .mutex: .orderCycle, .reentrant: .orderCycle, .spinlock: .orderCycle, .read: .none,
        .write: .orderCycle,
        .writerPreferringRead: .orderCycle,
    ],
    .ABCDBDDA: [
        .mutex: .orderCycle, .reentrant: .orderCycle, .spinlock: .orderCycle, .read: .none,
        .write: .orderCycle,
        .writerPreferringRead: .orderCycle,
    ],
    .ABCDBCDA: [
        .mutex: .orderCycle, .reentrant: .orderCycle, .spinlock: .orderCycle, .read: .none,
        .write: .orderCycle,
        .writerPreferringRead: .orderCycle,
    ],
]

/// One cell of the matrix.
struct AlphabetCell: Sendable, CustomTestStringConvertible {
    let scenario: AlphabetScenario
    let kind: AlphabetKind

    var verdict: AlphabetVerdict { alphabetVerdicts[scenario]![kind]! }
    var testDescription: String { "\(scenario.rawValue) x \(kind.rawValue)" }

    /// Every cell that can run in this process: all but the certain self-deadlocks.
    static let inProcess: [AlphabetCell] = AlphabetScenario.allCases.flatMap { scenario in
        AlphabetKind.allCases.map { AlphabetCell(scenario: scenario, kind: $0) }
    }.filter { $0.verdict != .selfDeadlockStops }
}

/// One lock of a cell, of the cell's kind, always taken in the kind's mode. It is created at the
/// caller's line, so each letter is a class of its own (the class is the creation site).
struct AlphabetLock: Sendable {
    private enum Storage: Sendable {
        case mutex(CheckedMutex)
        case reentrant(CheckedReentrantMutex)
        case spinlock(CheckedSpinLock)
        case readWrite(CheckedReadWriteLock, AccessMode)
    }

    private let storage: Storage
    /// The class name reports give it: `name (File.swift:line)`.
    let className: String

    init(_ kind: AlphabetKind, _ name: String, fileID: StaticString = #fileID, line: UInt = #line) {
        switch kind {
        case .mutex: storage = .mutex(CheckedMutex(name, fileID: fileID, line: line))
        case .reentrant: storage = .reentrant(CheckedReentrantMutex(name, fileID: fileID, line: line))
        case .spinlock: storage = .spinlock(CheckedSpinLock(name, fileID: fileID, line: line))
        case .read: storage = .readWrite(CheckedReadWriteLock(name, fileID: fileID, line: line), .shared)
        case .write: storage = .readWrite(CheckedReadWriteLock(name, fileID: fileID, line: line), .exclusive)
        case .writerPreferringRead:
            storage = .readWrite(
                CheckedReadWriteLock(name, fairness: .writerPreferring, fileID: fileID, line: line), .shared)
        }
        className = "\(name) (\(fileID):\(line))"
    }

    func lock() {
        switch storage {
        case .mutex(let mutex): mutex.lock()
        case .reentrant(let mutex): mutex.lock()
        case .spinlock(let spinLock): spinLock.lock()
        case .readWrite(let rwlock, .shared): rwlock.lockRead()
        case .readWrite(let rwlock, .exclusive): rwlock.lockWrite()
        }
    }

    func unlock() {
        switch storage {
        case .mutex(let mutex): mutex.unlock()
        case .reentrant(let mutex): mutex.unlock()
        case .spinlock(let spinLock): spinLock.unlock()
        case .readWrite(let rwlock, .shared): rwlock.unlockRead()
        case .readWrite(let rwlock, .exclusive): rwlock.unlockWrite()
        }
    }

    /// Whether the lock is entirely free now: a write trylock (or trylock) succeeds, on another
    /// thread so that re-entry by this thread does not count.
    func isFree() -> Bool {
        let result = ThreadResult<Bool>()
        let storage = storage
        TestThread.runAndWait {
            switch storage {
            case .mutex(let mutex):
                let taken = mutex.tryLock()
                if taken { mutex.unlock() }
                result.set(taken)
            case .reentrant(let mutex):
                let taken = mutex.tryLock()
                if taken { mutex.unlock() }
                result.set(taken)
            case .spinlock(let spinLock):
                let taken = spinLock.tryLock()
                if taken { spinLock.unlock() }
                result.set(taken)
            case .readWrite(let rwlock, _):
                let taken = rwlock.tryLockWrite()
                if taken { rwlock.unlockWrite() }
                result.set(taken)
            }
        }
        return result.value ?? false
    }
}

/// Runs a scenario's steps on the calling thread.
func runAlphabet(_ scenario: AlphabetScenario, _ locks: [Character: AlphabetLock]) {
    for step in scenario.steps {
        let held = locks[step.held]!
        let taken = locks[step.taken]!
        held.lock()
        taken.lock()
        taken.unlock()
        held.unlock()
    }
}

@Suite("The lockdep alphabet: scenario x lock kind", .serialized)
struct LearnedOrderAlphabetTests {
    @Test("each cell gives the verdict of the table", arguments: AlphabetCell.inProcess)
    func cell(_ cell: AlphabetCell) throws {
        let kind = cell.kind
        let locks: [Character: AlphabetLock] = [
            "A": AlphabetLock(kind, "A"),
            "B": AlphabetLock(kind, "B"),
            "C": AlphabetLock(kind, "C"),
            "D": AlphabetLock(kind, "D"),
        ]
        let violations = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            runAlphabet(cell.scenario, locks)
        }
        switch cell.verdict {
        case .none:
            #expect(violations.isEmpty, "\(violations.map(\.message))")
        case .selfDeadlock:
            try #require(violations.count == 1, "\(violations.map(\.message))")
            #expect(violations[0].kind == .selfDeadlock)
            #expect(violations[0].lock?.className == locks["A"]!.className)
        case .orderCycle:
            try #require(violations.count == 1, "\(violations.map(\.message))")
            let violation = violations[0]
            #expect(violation.kind == .orderCycle)
            #expect(violation.kind.rawValue == "order_cycle")
            let expected = cell.scenario.reportedCycle.map { pair in
                pair.map { locks[$0]!.className }
            }
            #expect(cyclePairs(violation) == expected)
            // Only the split read-write classes speak of modes; on them every step was a write.
            let modes = violation.cycle?.map(\.modes) ?? []
            let expectedModes: String? = kind == .write ? "exclusive then exclusive" : nil
            #expect(modes == Array(repeating: expectedModes, count: expected.count))
        case .selfDeadlockStops:
            Issue.record("\(cell.testDescription) stops the process; it belongs to the exit tests")
        }
        // Whatever was reported, every lock must be free again afterwards (a re-taken read lock
        // is given back once per hold).
        for letter in "ABCD" {
            #expect(locks[letter]!.isFree(), "\(letter) is still held after \(cell.testDescription)")
        }
    }

    @Test("the table covers every scenario and kind, with the stopping cells left to exit tests")
    func tableIsComplete() {
        for scenario in AlphabetScenario.allCases {
            #expect(alphabetVerdicts[scenario]?.count == AlphabetKind.allCases.count, "\(scenario)")
        }
        #expect(AlphabetCell.inProcess.count == 7 * 6 - 3)
    }

    /// A child that reported a certain self-deadlock and stopped: the headline, then the stop.
    static func expectStopped(_ result: ExitTest.Result?, headline: String) {
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains(headline))
        #expect(text.contains("lockorder: stopping the process after this report"))
    }

    @Test("AA x mutex: a certain self-deadlock is reported, then the process stops")
    func aaMutexStops() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            let lock = CheckedMutex("A")
            _ = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true, printsReports: true) {
                lock.lock()
                lock.lock()
            }
        }
        Self.expectStopped(
            result, headline: "lockorder: self deadlock: acquiring A, which this thread already holds")
    }

    @Test("AA x spinlock: a certain self-deadlock is reported, then the process stops")
    func aaSpinLockStops() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            let lock = CheckedSpinLock("A")
            _ = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true, printsReports: true) {
                lock.lock()
                lock.lock()
            }
        }
        Self.expectStopped(
            result, headline: "lockorder: self deadlock: acquiring A, which this thread already holds")
    }

    @Test("AA x write: taking the write side twice is a certain self-deadlock, then the process stops")
    func aaWriteStops() async {
        let result = await #expect(processExitsWith: .signal(SIGABRT), observing: [\.standardErrorContent]) {
            let lock = CheckedReadWriteLock("A")
            _ = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true, printsReports: true) {
                lock.lockWrite()
                lock.lockWrite()
            }
        }
        Self.expectStopped(result, headline: "lockorder: self deadlock: acquiring A")
    }

    @Test("ABBA with mixed modes on reader-preferring locks: only conflicting modes make a cycle")
    func mixedModes() throws {
        let first = CheckedReadWriteLock("A")
        let second = CheckedReadWriteLock("B")
        // Read A then write B; read B then read A: the second thread's read of A is granted
        // while the first only reads A, so nothing can wait in a circle.
        let harmless = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            first.withReadLock { second.withWriteLock {} }
            second.withReadLock { first.withReadLock {} }
        }
        #expect(harmless.isEmpty, "\(harmless.map(\.message))")
        // Write A then read B; write B then read A: each read waits for the other's writer.
        let deadlock = LockOrder.withChecking(hierarchy: .julia, learnsOrder: true) {
            first.withWriteLock { second.withReadLock {} }
            second.withWriteLock { first.withReadLock {} }
        }
        try #require(deadlock.count == 1, "\(deadlock.map(\.message))")
        #expect(deadlock[0].kind == .orderCycle)
        #expect(deadlock[0].cycle?.map(\.modes) == ["exclusive then shared", "exclusive then shared"])
    }
}
