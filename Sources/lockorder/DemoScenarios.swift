import LockCore

#if canImport(Glibc)
    import Glibc
#endif

/// One scenario of the demo: a title and the locking it does.
struct DemoScenario: Sendable {
    let title: String
    let run: @Sendable () -> Void
}

/// The demo's scenarios, kept and broken rules side by side so the reader sees what passes
/// silently and what is reported.
enum DemoScenarios {
    static let all: [DemoScenario] = [
        DemoScenario(
            title: "world_counter_lock exception kept: several method locks under the guard (silent)"
        ) {
            let worldCounter = CheckedMutex(declared: "world_counter_lock")
            let first = CheckedMutex(declared: "jl_method_t.writelock")
            let second = CheckedMutex(declared: "jl_method_t.writelock")
            worldCounter.withLock {
                first.withLock {
                    second.withLock {}
                }
            }
        },
        DemoScenario(title: "world_counter_lock exception broken: two method locks without the guard") {
            let first = CheckedMutex(declared: "jl_method_t.writelock")
            let second = CheckedMutex(declared: "jl_method_t.writelock")
            first.withLock {
                second.withLock {}
            }
        },
        DemoScenario(title: "level inversion: a level 5 lock taken under a level 3 lock") {
            let typecache = CheckedMutex(declared: "typecache_lock")
            let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
            typecache.withLock {
                methodTable.withLock {}
            }
        },
        DemoScenario(title: "forbidden I/O while holding typecache_lock") {
            let typecache = CheckedMutex(declared: "typecache_lock")
            typecache.withLock {
                LockOrder.willPerform(.io)
            }
        },
        DemoScenario(title: "learned order: two undeclared locks taken in both orders by two threads") {
            let accounts = CheckedMutex("accounts")
            let audit = CheckedMutex("audit log")
            runOnThread {
                accounts.withLock {
                    audit.withLock {}
                }
            }
            runOnThread {
                audit.withLock {
                    accounts.withLock {}
                }
            }
        },
        DemoScenario(
            title:
                "bank transfer: accounts made in one init, alice to bob on one thread, bob to alice on another"
        ) {
            let alice = DemoAccount("alice", number: 1)
            let bob = DemoAccount("bob", number: 2)
            runOnThread { DemoAccount.transfer(10, from: alice, to: bob) }
            runOnThread { DemoAccount.transfer(5, from: bob, to: alice) }
        },
        DemoScenario(title: "bank transfer in one order: the lower account number's lock first (silent)") {
            let carol = DemoAccount("carol", number: 3)
            let dave = DemoAccount("dave", number: 4)
            runOnThread { DemoAccount.orderedTransfer(10, from: carol, to: dave) }
            runOnThread { DemoAccount.orderedTransfer(5, from: dave, to: carol) }
        },
    ]

    /// Runs `body` on a new thread and waits for it; the threads run one after another, so the
    /// inversion is found without any real deadlock.
    static func runOnThread(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(ThreadBody(body))
        var thread = pthread_t()
        guard pthread_create(&thread, nil, demoThreadMain, box.toOpaque()) == 0 else {
            box.release()
            body()
            return
        }
        pthread_join(thread, nil)
    }
}

/// A thread's work, passed through pthread_create's context pointer.
final class ThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// A thread entry point outside main.swift, so it is not main-actor isolated.
func demoThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    Unmanaged<ThreadBody>.fromOpaque(context).takeRetainedValue().body()
    return nil
}

/// The textbook account: its lock is made in `init`, so every account's lock has one class (that
/// line), and only the instance order (docs/graph.md §6) can tell two accounts' locks apart.
final class DemoAccount: @unchecked Sendable {
    let number: Int
    let lock: CheckedMutex
    /// Guarded by `lock`.
    var balance = 100

    init(_ name: String, number: Int) {
        self.number = number
        lock = CheckedMutex("account \(name)")
    }

    /// The source account's lock, then the destination's: both ways round, a deadlock waiting to
    /// happen.
    static func transfer(_ amount: Int, from source: DemoAccount, to destination: DemoAccount) {
        source.lock.withLock {
            destination.lock.withLock {
                source.balance -= amount
                destination.balance += amount
            }
        }
    }

    /// The fix: the lower account number's lock first, whichever way the money goes.
    static func orderedTransfer(_ amount: Int, from source: DemoAccount, to destination: DemoAccount) {
        let (first, second) =
            source.number < destination.number ? (source, destination) : (destination, source)
        first.lock.withLock {
            second.lock.withLock {
                source.balance -= amount
                destination.balance += amount
            }
        }
    }
}
