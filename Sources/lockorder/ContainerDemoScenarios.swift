import LockCore

/// The demo's scenarios for the runtime locks of checked containers and contexts (Daslang's
/// iteration and context locks, docs/containers.md): one broken rule each, after a kept one.
extension DemoScenarios {
    static let containers: [DemoScenario] = [
        DemoScenario(title: "container locked: a registry changed while it is iterated (the push is refused)")
        {
            let pending = CheckedArray(["parse", "load"], name: "pending")
            for task in pending where task == "load" {
                pending.append("link")  // refused: the loop still walks `pending`
            }
            pending.append("link")  // the loop is over: accepted
            print("   pending: \(pending.elements)")
        },
        DemoScenario(title: "context locked: a script context restarted while the host holds its data") {
            let context = CheckedContext(name: "script") { [String: Int]() }
            context.state["frames"] = 3
            context.lock()  // the host reads the state from outside
            context.collect { $0["garbage"] = nil }  // collection on a locked context: fine
            let restarted = context.restart()  // refused: the context is locked
            print("   restarted: \(restarted), state: \(context.state)")
            context.unlock()
            print("   tryRestartAndLock: \(context.tryRestartAndLock())")
        },
    ]
}
