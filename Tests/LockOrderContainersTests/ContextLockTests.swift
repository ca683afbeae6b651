import LockOrderChecker
import LockOrderContainers
import Testing

/// "When locked Context can not be restarted", tryRestartAndLock, and "Heap collection is safe
/// to do on a locked context".
@Suite("Context locks", .serialized)
struct ContextLockTests {
    @Test("restart of a locked context is refused and reported; the state is intact")
    func restartWhileLockedIsRefused() throws {
        let context = CheckedContext(name: "script") { [Int]() }
        context.state = [1, 2]
        var lockLine = 0
        var restartLine = 0
        var restarted = true
        let violations = checkContainers {
            lockLine = #line + 1
            context.lock()
            restartLine = #line + 1
            restarted = context.restart()
        }
        #expect(!restarted)
        #expect(context.state == [1, 2])
        #expect(context.restartCount == 0)
        try #require(violations.count == 1)
        let violation = violations[0]
        #expect(violation.kind == .contextLocked)
        #expect(violation.message == "context locked: restart of script while it is locked by lock()")
        #expect(violation.operation == "restart")
        #expect(violation.site == "\(siteFile()):\(restartLine)")
        #expect(
            violation.runtimeLocks?.map(\.summary) == [
                "context script, locked by lock() at \(siteFile()):\(lockLine)"
            ])
        #expect(violation.text.contains("  locked by:\n    context script, locked by lock() at "))
    }

    @Test("restart of an unlocked context rebuilds its state, silently; lock is counted")
    func restartWhenUnlockedWorks() {
        let context = CheckedContext(name: "script") { [Int]() }
        context.state = [1]
        let violations = checkContainers {
            context.lock()
            context.lock()
            context.unlock()
            #expect(context.isLocked)
            context.unlock()
            #expect(context.restart())
        }
        #expect(violations.isEmpty)
        #expect(context.state.isEmpty)
        #expect(context.restartCount == 1)
    }

    @Test("tryRestartAndLock on an unlocked context restarts it and locks it")
    func tryRestartAndLockUnlocked() {
        let context = CheckedContext(name: "script") { [Int]() }
        context.state = [1]
        let violations = checkContainers {
            #expect(context.tryRestartAndLock())
        }
        #expect(violations.isEmpty)
        #expect(context.state.isEmpty)
        #expect(context.lockCount == 1)
    }

    @Test("tryRestartAndLock on a locked context does not restart it, but locks it again")
    func tryRestartAndLockLocked() {
        let context = CheckedContext(name: "script") { [Int]() }
        context.state = [1]
        let violations = checkContainers {
            context.lock()
            #expect(!context.tryRestartAndLock())
        }
        #expect(violations.isEmpty)
        #expect(context.state == [1])
        #expect(context.lockCount == 2)
        #expect(context.restartCount == 0)
    }

    @Test("collection on a locked context is allowed and reports nothing")
    func collectionWhileLocked() {
        let context = CheckedContext(name: "script") { [Int?]() }
        context.state = [1, nil, 3]
        let violations = checkContainers {
            context.lock()
            context.collect { heap in heap.removeAll { $0 == nil } }
            context.unlock()
        }
        #expect(violations.isEmpty)
        #expect(context.state == [1, 3])
    }

    @Test("unlock() of a context that is not locked is reported as unlock_not_held")
    func unlockNotLockedIsReported() {
        let context = CheckedContext(name: "script") { 0 }
        let violations = checkContainers { context.unlock() }
        #expect(violations.map(\.kind) == [.unlockNotHeld])
        #expect(
            violations.first?.message == "unlock not held: unlock() of context script, which is not locked")
    }
}
