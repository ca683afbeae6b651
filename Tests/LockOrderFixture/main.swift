// lockorder-fixture: a child process for the tests of graph files. Each argument `X>Y` takes
// lock X, then lock Y while holding it, then releases both; the locks are creation-site classes
// made on fixed lines below, so their class names are the same in every run.
// (Keep the lock lines where they are: tests name the classes by these lines.)
import LockCore

#if canImport(Glibc)
    import Glibc
#endif

let locks: [String: CheckedMutex] = [
    "A": CheckedMutex("A"),
    "B": CheckedMutex("B"),
    "C": CheckedMutex("C"),
    "D": CheckedMutex("D"),
    "E": CheckedMutex("E"),
    "F": CheckedMutex("F"),
    "G": CheckedMutex("G"),
    "H": CheckedMutex("H"),
    "I": CheckedMutex("I"),
    "J": CheckedMutex("J"),
]

// LOCKORDER_FIXTURE_GO=PATH: wait until PATH exists, so that several children take their
// locks and exit (writing their graph files) together.
if let go = getenv("LOCKORDER_FIXTURE_GO").map({ String(cString: $0) }) {
    while access(go, F_OK) != 0 { usleep(1000) }
}

for argument in CommandLine.arguments.dropFirst() {
    let names = argument.split(separator: ">").map(String.init)
    guard names.count == 2, let outer = locks[names[0]], let inner = locks[names[1]] else {
        print("lockorder-fixture: '\(argument)' is not X>Y with X and Y among A...J")
        exit(2)
    }
    outer.lock()
    inner.lock()
    inner.unlock()
    outer.unlock()
}
