import Testing

@testable import LockOrderHierarchy

/// The Swift initializer runs the same checks, reported against "<swift>"
/// with the same key paths.
@Suite("Swift initializer validation")
struct SwiftValidationTests {
    let locks = [
        DeclaredLock(name: "outer", level: 7),
        DeclaredLock(name: "middle", level: 3, kind: "std::mutex"),
        DeclaredLock(name: "inner", level: 1, kind: "uv_mutex_t"),
    ]

    @Test("a valid hierarchy builds")
    func valid() throws {
        let hierarchy = try LockHierarchy(
            name: "ok", locks: locks,
            exceptions: [.guardedSameLevel(lock: "middle", guard: "outer")],
            implicitAcquisitions: [ImplicitAcquisition(option: .safepoint, lock: "inner")],
            forbiddenOperations: [
                ForbiddenOperation(operation: .io, whileHolding: .listedBefore("inner"), reason: "r")
            ])
        #expect(hierarchy.index(of: "inner") == 2)
        #expect(hierarchy.lock(named: "middle")?.kind == "std::mutex")
    }

    @Test("empty name")
    func emptyName() {
        #expect(
            initFailure(name: "", locks: locks)
                == "lockorder: hierarchy '<swift>': name: hierarchy name is empty")
    }

    @Test("no locks")
    func noLocks() {
        #expect(
            initFailure(locks: [])
                == "lockorder: hierarchy '<swift>': locks: no locks declared")
    }

    @Test("empty lock name")
    func emptyLockName() {
        #expect(
            initFailure(locks: locks + [DeclaredLock(name: "", level: 1)])
                == "lockorder: hierarchy '<swift>': locks[3].name: lock name is empty")
    }

    @Test("duplicate lock name")
    func duplicate() {
        #expect(
            initFailure(locks: locks + [DeclaredLock(name: "middle", level: 2)])
                == "lockorder: hierarchy '<swift>': locks[3].name: duplicate lock name 'middle' (first at locks[1])"
        )
    }

    @Test("level out of range")
    func levelOutOfRange() {
        #expect(
            initFailure(locks: [DeclaredLock(name: "a", level: Int.max)])
                == "lockorder: hierarchy '<swift>': locks[0].level: level 9223372036854775807 is out of range 1...255"
        )
    }

    @Test("empty kind label")
    func emptyKind() {
        #expect(
            initFailure(locks: [DeclaredLock(name: "a", level: 1, kind: "")])
                == "lockorder: hierarchy '<swift>': locks[0].kind: kind label is empty (leave the key out instead)"
        )
    }

    @Test("exception naming an unknown lock")
    func exceptionUnknownLock() {
        #expect(
            initFailure(locks: locks, exceptions: [.instanceOrder(lock: "nope")])
                == "lockorder: hierarchy '<swift>': exceptions[0].lock: unknown lock 'nope'")
    }

    @Test("exception naming an unknown guard")
    func exceptionUnknownGuard() {
        #expect(
            initFailure(locks: locks, exceptions: [.guardedSameLevel(lock: "middle", guard: "foo")])
                == "lockorder: hierarchy '<swift>': exceptions[0].guard: unknown lock 'foo'")
    }

    @Test("guard not above the guarded lock")
    func guardLevel() {
        #expect(
            initFailure(locks: locks, exceptions: [.guardedSameLevel(lock: "outer", guard: "middle")])
                == "lockorder: hierarchy '<swift>': exceptions[0].guard: guard 'middle' (level 3) must have a higher level than 'outer' (level 7)"
        )
    }

    @Test("two exceptions for one lock")
    func secondException() {
        #expect(
            initFailure(
                locks: locks, exceptions: [.instanceOrder(lock: "inner"), .instanceOrder(lock: "inner")])
                == "lockorder: hierarchy '<swift>': exceptions[1].lock: second exception for lock 'inner' (first at exceptions[0])"
        )
    }

    @Test("implicit acquisition of an unknown lock")
    func implicitUnknown() {
        #expect(
            initFailure(
                locks: locks, implicitAcquisitions: [ImplicitAcquisition(option: .safepoint, lock: "x")])
                == "lockorder: hierarchy '<swift>': implicitAcquisitions[0].lock: unknown lock 'x'")
    }

    @Test("implicit acquisition with an empty option")
    func implicitEmptyOption() {
        #expect(
            initFailure(
                locks: locks,
                implicitAcquisitions: [ImplicitAcquisition(option: LockOption(rawValue: ""), lock: "inner")])
                == "lockorder: hierarchy '<swift>': implicitAcquisitions[0].option: option is empty")
    }

    @Test("empty operation")
    func emptyOperation() {
        #expect(
            initFailure(
                locks: locks,
                forbiddenOperations: [
                    ForbiddenOperation(operation: ThreadOperation(rawValue: ""), whileHolding: .levels([1]))
                ])
                == "lockorder: hierarchy '<swift>': forbiddenOperations[0].operation: operation is empty")
    }

    @Test("selector listedBefore an unknown lock")
    func listedBeforeUnknown() {
        #expect(
            initFailure(
                locks: locks,
                forbiddenOperations: [ForbiddenOperation(operation: .io, whileHolding: .listedBefore("foo"))])
                == "lockorder: hierarchy '<swift>': forbiddenOperations[0].whileHolding.listedBefore: unknown lock 'foo'"
        )
    }

    @Test("selector naming an unknown lock")
    func locksUnknown() {
        #expect(
            initFailure(
                locks: locks,
                forbiddenOperations: [
                    ForbiddenOperation(operation: .io, whileHolding: .levels([1])),
                    ForbiddenOperation(operation: .io, whileHolding: .locks(["foo"])),
                ])
                == "lockorder: hierarchy '<swift>': forbiddenOperations[1].whileHolding.locks[0]: unknown lock 'foo'"
        )
    }

    @Test("selector naming a kind no lock has")
    func kindUnknown() {
        #expect(
            initFailure(
                locks: locks,
                forbiddenOperations: [
                    ForbiddenOperation(
                        operation: .taskSwitch, whileHolding: .kinds(["std::mutex", "jl_mutex_t"]))
                ])
                == "lockorder: hierarchy '<swift>': forbiddenOperations[0].whileHolding.kinds[1]: no declared lock has kind 'jl_mutex_t'"
        )
    }

    @Test("selector level out of range")
    func selectorLevel() {
        #expect(
            initFailure(
                locks: locks,
                forbiddenOperations: [ForbiddenOperation(operation: .safepoint, whileHolding: .levels([0]))])
                == "lockorder: hierarchy '<swift>': forbiddenOperations[0].whileHolding.levels[0]: level 0 is out of range 1...255"
        )
    }

    @Test("selector with an empty list")
    func selectorEmpty() {
        #expect(
            initFailure(
                locks: locks,
                forbiddenOperations: [ForbiddenOperation(operation: .safepoint, whileHolding: .kinds([]))])
                == "lockorder: hierarchy '<swift>': forbiddenOperations[0].whileHolding.kinds: empty list")
    }

    @Test("the thrown error carries its parts")
    func errorParts() {
        do {
            _ = try LockHierarchy(name: "x", locks: [DeclaredLock(name: "a", level: 0)])
            Issue.record("no error")
        } catch {
            #expect(
                error
                    == HierarchyError(
                        source: "<swift>", location: "locks[0].level",
                        problem: "level 0 is out of range 1...255"))
        }
    }
}
