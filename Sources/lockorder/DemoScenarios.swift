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
