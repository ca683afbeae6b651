import LockOrderChecker
import LockOrderContainers
import Testing

/// The five ways the seed disables lock checking, each shown to disable and shown to be needed.
@Suite("Disabling lock checks", .serialized)
struct DisablingTests {
    @Test("per array (set_verify_array_locks): verifiesLocks = false lets a push inside the loop through")
    func perArray() {
        let numbers = CheckedArray([1, 2])
        numbers.verifiesLocks = false
        let violations = checkContainers {
            for _ in numbers { numbers.append(0) }
        }
        #expect(violations.isEmpty)
        #expect(numbers.count == 4)
        numbers.verifiesLocks = true
        let again = checkContainers {
            for _ in numbers { numbers.append(0) }
        }
        #expect(again.map(\.kind) == [.containerLocked])
    }

    @Test("per dictionary (set_verify_table_locks): verifiesLocks = false lets [] through")
    func perDictionary() {
        let table = CheckedDictionary(["a": 1])
        table.verifiesLocks = false
        let violations = checkContainers {
            for key in table.keys { table[key] = 2 }
        }
        #expect(violations.isEmpty)
        #expect(table.entries == ["a": 2])
    }

    @Test("per element type ([skip_field_lock_check]): a struct with skipsFieldLockCheck is not looked into")
    func perElementType() {
        let skipped = CheckedArray([UncheckedInventory(items: CheckedArray([1]))])
        let checked = CheckedArray([Inventory(items: CheckedArray([1]))])
        let violations = checkContainers {
            for _ in skipped[0].items { skipped.removeAll() }
            for _ in checked[0].items { checked.removeAll() }
        }
        #expect(skipped.isEmpty)
        #expect(checked.count == 1)
        #expect(violations.count == 1)
    }

    @Test("per scope ([skip_lock_check]): withoutContainerLockChecks lets mutations through inside it only")
    func perScope() {
        let numbers = CheckedArray([1])
        let violations = checkContainers {
            for _ in numbers {
                withoutContainerLockChecks { numbers.append(2) }
                numbers.append(3)
            }
        }
        #expect(numbers.elements == [1, 2])
        #expect(violations.map(\.operation) == ["push"])
    }

    @Test("per context (options skip_lock_checks): containers made by such a context are not verified")
    func perContextOption() {
        let context = CheckedContext(name: "script", skipsLockChecks: true) { 0 }
        let numbers = context.makeArray([1])
        let table = context.makeDictionary(["a": 1])
        let violations = checkContainers {
            for _ in numbers { numbers.append(2) }
            for _ in table.values { table["b"] = 2 }
        }
        #expect(violations.isEmpty)
        #expect(numbers.elements == [1, 2])
        #expect(table.count == 2)
    }

    @Test(
        "per context (set_verify_context_locks): verifiesContainerLocks turns every container of the context")
    func perContextSwitch() {
        let context = CheckedContext(name: "script") { 0 }
        let numbers = context.makeArray([1])
        let violations = checkContainers {
            for _ in numbers { numbers.append(2) }
            context.verifiesContainerLocks = false
            for _ in numbers { numbers.append(3) }
            context.verifiesContainerLocks = true
        }
        #expect(numbers.elements == [1, 3])
        #expect(violations.count == 1)
    }
}
