// The scenarios, outside main.swift: closures written there are main-actor isolated, and
// these hand C callbacks to threads.
#if canImport(Glibc)
    import Glibc
#endif

/// A pthread mutex at a stable address, of the given type.
func makeMutex(_ type: Int32 = Int32(PTHREAD_MUTEX_DEFAULT)) -> UnsafeMutablePointer<pthread_mutex_t> {
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    var attributes = pthread_mutexattr_t()
    pthread_mutexattr_init(&attributes)
    pthread_mutexattr_settype(&attributes, type)
    pthread_mutex_init(mutex, &attributes)
    pthread_mutexattr_destroy(&attributes)
    return mutex
}

func makeRWLock() -> UnsafeMutablePointer<pthread_rwlock_t> {
    let rwlock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
    pthread_rwlock_init(rwlock, nil)
    return rwlock
}

/// Runs `body` on a new thread and waits for it.
func onThread(_ body: @escaping () -> Void) {
    final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    pthread_create(
        &thread, nil,
        { argument in
            Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
            return nil
        }, box)
    pthread_join(thread, nil)
}

func abba() {
    let a = makeMutex()
    let b = makeMutex()
    pthread_mutex_lock(a)
    pthread_mutex_lock(b)
    pthread_mutex_unlock(b)
    pthread_mutex_unlock(a)
    onThread {
        pthread_mutex_lock(b)
        pthread_mutex_lock(a)
        pthread_mutex_unlock(a)
        pthread_mutex_unlock(b)
    }
    print("abba done")
}

func inOrder() {
    let a = makeMutex()
    let b = makeMutex()
    for _ in 0..<3 {
        pthread_mutex_lock(a)
        pthread_mutex_lock(b)
        pthread_mutex_unlock(b)
        pthread_mutex_unlock(a)
    }
    print("in order done")
}

func tryLock() {
    let a = makeMutex()
    let b = makeMutex()
    pthread_mutex_lock(a)
    pthread_mutex_lock(b)
    pthread_mutex_unlock(b)
    pthread_mutex_unlock(a)
    pthread_mutex_lock(b)
    let result = pthread_mutex_trylock(a)
    if result == 0 { pthread_mutex_unlock(a) }
    pthread_mutex_unlock(b)
    print("trylock \(result)")
}

func recursiveAndErrorCheck() {
    let recursive = makeMutex(Int32(PTHREAD_MUTEX_RECURSIVE))
    let first = pthread_mutex_lock(recursive)
    let second = pthread_mutex_lock(recursive)
    let unlocks = [pthread_mutex_unlock(recursive), pthread_mutex_unlock(recursive)]
    let checked = makeMutex(Int32(PTHREAD_MUTEX_ERRORCHECK))
    pthread_mutex_lock(checked)
    let relock = pthread_mutex_lock(checked)
    pthread_mutex_unlock(checked)
    print(
        "recursive \(first) \(second) \(unlocks) errorcheck relock \(relock == EDEADLK ? "EDEADLK" : "\(relock)")"
    )
}

func errorCheckUnlockNotHeld() {
    let checked = makeMutex(Int32(PTHREAD_MUTEX_ERRORCHECK))
    let result = pthread_mutex_unlock(checked)
    print("errorcheck unlock \(result == EPERM ? "EPERM" : "\(result)")")
}

func rwlockABBA() {
    let a = makeRWLock()
    let b = makeRWLock()
    pthread_rwlock_wrlock(a)
    pthread_rwlock_rdlock(b)
    pthread_rwlock_unlock(b)
    pthread_rwlock_unlock(a)
    pthread_rwlock_wrlock(b)
    pthread_rwlock_wrlock(a)
    pthread_rwlock_unlock(a)
    pthread_rwlock_unlock(b)
    print("rwlock done")
}

func rwlockReadsOnly() {
    let a = makeRWLock()
    let b = makeRWLock()
    pthread_rwlock_rdlock(a)
    pthread_rwlock_rdlock(b)
    pthread_rwlock_unlock(b)
    pthread_rwlock_unlock(a)
    pthread_rwlock_rdlock(b)
    pthread_rwlock_rdlock(a)
    pthread_rwlock_rdlock(a)  // a reader-preferring read lock may be taken again
    pthread_rwlock_unlock(a)
    pthread_rwlock_unlock(a)
    pthread_rwlock_unlock(b)
    print("reads done")
}

func spinABBA() {
    let a = UnsafeMutablePointer<pthread_spinlock_t>.allocate(capacity: 1)
    let b = UnsafeMutablePointer<pthread_spinlock_t>.allocate(capacity: 1)
    pthread_spin_init(a, 0)
    pthread_spin_init(b, 0)
    pthread_spin_lock(a)
    pthread_spin_lock(b)
    pthread_spin_unlock(b)
    pthread_spin_unlock(a)
    pthread_spin_lock(b)
    pthread_spin_lock(a)
    pthread_spin_unlock(a)
    pthread_spin_unlock(b)
    print("spin done")
}

/// A waiter that takes `other` after `mutex`, then waits on the condition while holding
/// `other`: the wait releases `mutex` and takes it back under `other` (a real inversion).
func conditionWaitInversion() {
    let mutex = makeMutex()
    let other = makeMutex()
    let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    pthread_cond_init(condition, nil)
    pthread_mutex_lock(mutex)
    pthread_mutex_lock(other)
    var deadline = timespec()
    clock_gettime(CLOCK_REALTIME, &deadline)
    deadline.tv_nsec += 1_000_000
    if deadline.tv_nsec >= 1_000_000_000 {
        deadline.tv_sec += 1
        deadline.tv_nsec -= 1_000_000_000
    }
    let result = pthread_cond_timedwait(condition, mutex, &deadline)
    pthread_mutex_unlock(other)
    pthread_mutex_unlock(mutex)
    print("cond wait \(result == ETIMEDOUT ? "ETIMEDOUT" : "\(result)")")
}

/// The usual pattern: a condition wait with nothing else held, signalled by another thread.
func conditionWaitClean() {
    let mutex = makeMutex()
    let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    pthread_cond_init(condition, nil)
    nonisolated(unsafe) var ready = false
    var thread = pthread_t()
    final class Context {
        let mutex: UnsafeMutablePointer<pthread_mutex_t>
        let condition: UnsafeMutablePointer<pthread_cond_t>
        let ready: UnsafeMutablePointer<Bool>
        init(
            _ m: UnsafeMutablePointer<pthread_mutex_t>, _ c: UnsafeMutablePointer<pthread_cond_t>,
            _ r: UnsafeMutablePointer<Bool>
        ) {
            mutex = m
            condition = c
            ready = r
        }
    }
    withUnsafeMutablePointer(to: &ready) { readyPointer in
        let context = Unmanaged.passRetained(Context(mutex, condition, readyPointer)).toOpaque()
        pthread_create(
            &thread, nil,
            { argument in
                let context = Unmanaged<Context>.fromOpaque(argument!).takeRetainedValue()
                pthread_mutex_lock(context.mutex)
                context.ready.pointee = true
                pthread_cond_signal(context.condition)
                pthread_mutex_unlock(context.mutex)
                return nil
            }, context)
        pthread_mutex_lock(mutex)
        while !readyPointer.pointee { pthread_cond_wait(condition, mutex) }
        pthread_mutex_unlock(mutex)
        pthread_join(thread, nil)
    }
    print("clean wait done")
}

/// fork while another thread locks and unlocks: the child takes locks and checks them.
func forkWhileThreaded() {
    let busy = makeMutex()
    nonisolated(unsafe) var stop = false
    var thread = pthread_t()
    final class Context {
        let busy: UnsafeMutablePointer<pthread_mutex_t>
        let stop: UnsafeMutablePointer<Bool>
        init(_ b: UnsafeMutablePointer<pthread_mutex_t>, _ s: UnsafeMutablePointer<Bool>) {
            busy = b
            stop = s
        }
    }
    withUnsafeMutablePointer(to: &stop) { stopPointer in
        let context = Unmanaged.passRetained(Context(busy, stopPointer)).toOpaque()
        pthread_create(
            &thread, nil,
            { argument in
                let context = Unmanaged<Context>.fromOpaque(argument!).takeRetainedValue()
                while !isSet(context.stop) {
                    pthread_mutex_lock(context.busy)
                    pthread_mutex_unlock(context.busy)
                }
                return nil
            }, context)
        var statuses: [Int32] = []
        for _ in 0..<20 {
            let child = fork()
            if child == 0 {
                let a = makeMutex()
                let b = makeMutex()
                pthread_mutex_lock(a)
                pthread_mutex_lock(b)
                pthread_mutex_unlock(b)
                pthread_mutex_unlock(a)
                pthread_mutex_lock(b)
                pthread_mutex_lock(a)
                pthread_mutex_unlock(a)
                pthread_mutex_unlock(b)
                _exit(0)
            }
            var status: Int32 = 0
            waitpid(child, &status, 0)
            statuses.append(status)
        }
        stopPointer.pointee = true
        pthread_join(thread, nil)
        print("fork children \(Set(statuses).sorted())")
    }
}

func isSet(_ flag: UnsafeMutablePointer<Bool>) -> Bool {
    // A plain read is enough for a test flag written once.
    UnsafeMutableRawPointer(flag).load(as: UInt8.self) != 0
}

/// Statically initialised mutexes (PTHREAD_MUTEX_INITIALIZER), never passed to init.
nonisolated(unsafe) var staticA = pthread_mutex_t()
nonisolated(unsafe) var staticB = pthread_mutex_t()

func staticABBA() {
    pthread_mutex_lock(&staticA)
    pthread_mutex_lock(&staticB)
    pthread_mutex_unlock(&staticB)
    pthread_mutex_unlock(&staticA)
    pthread_mutex_lock(&staticB)
    pthread_mutex_lock(&staticA)
    pthread_mutex_unlock(&staticA)
    pthread_mutex_unlock(&staticB)
    print("static done")
}

/// A fatal error with a checked lock held: the Swift runtime prints a backtrace through the
/// unwinder (libunwind's `_Unwind_Backtrace` once the interposer has loaded it), whose own
/// mutexes then reach the interposer from inside the unwinder.
func fatalWithLockHeld() {
    let mutex = makeMutex()
    pthread_mutex_lock(mutex)
    fatalError("deliberate, with a lock held")
}

/// Every scenario by name.
let scenarios: [String: @Sendable () -> Void] = [
    "abba": abba, "in-order": inOrder, "trylock": tryLock, "recursive": recursiveAndErrorCheck,
    "errorcheck-unlock": errorCheckUnlockNotHeld, "rwlock": rwlockABBA, "rwlock-reads": rwlockReadsOnly,
    "spin": spinABBA, "cond-inversion": conditionWaitInversion, "cond-clean": conditionWaitClean,
    "fork": forkWhileThreaded, "static": staticABBA, "none": { print("no locks") },
    "fatal": fatalWithLockHeld,
]
