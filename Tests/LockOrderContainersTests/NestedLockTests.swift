import LockOrderChecker
import Testing

@testable import LockOrderContainers

/// "Array and Table lock checking occurs on the data structures, which internally contain
/// other Arrays or Tables", and "custom operations will only be generated, if the underlying
/// type needs lock checks".
@Suite("Nested lock checks", .serialized)
struct NestedLockTests {
    @Test("for b in a[0] { a.resize(100500) } is refused because a[0] is locked")
    func resizeWhileInnerIsIteratedIsRefused() throws {
        let a = CheckedArray([CheckedArray([1, 2]), CheckedArray([3])], name: "a")
        let violations = checkContainers {
            for _ in a[0] { a.resize(to: 100_500, repeating: CheckedArray()) }
        }
        #expect(a.count == 2)
        try #require(violations.count == 1)
        #expect(violations[0].kind == .containerLocked)
        #expect(violations[0].operation == "resize")
        #expect(violations[0].runtimeLocks?.map(\.name) == ["a[0] (CheckedArray<Int>)"])
        #expect(
            violations[0].message
                == "container locked: resize on a (CheckedArray<CheckedArray<Int>>) while a[0] (CheckedArray<Int>) is locked by iteration"
        )
    }

    @Test("three levels deep: iterating a[1][0] locks a")
    func deepNestingIsChecked() {
        let a = CheckedArray(
            [CheckedArray([CheckedArray([1])]), CheckedArray([CheckedArray([2])])], name: "a")
        let violations = checkContainers {
            for _ in a[1][0] { a.removeAll() }
        }
        #expect(a.count == 2)
        #expect(violations.first?.runtimeLocks?.map(\.name) == ["a[1][0] (CheckedArray<Int>)"])
    }

    @Test(
        "a dictionary of structs holding arrays: iterating one struct's array refuses an erase of the dictionary"
    )
    func dictionaryOfStructsIsChecked() {
        let shelves = CheckedDictionary(
            ["top": Inventory(items: CheckedArray([1], name: "items"))], name: "shelves")
        let violations = checkContainers {
            for _ in shelves["top"]!.items { shelves.removeValue(forKey: "top") }
        }
        #expect(shelves.count == 1)
        #expect(violations.first?.runtimeLocks?.map(\.name) == ["shelves[top].items (CheckedArray<Int>)"])
    }

    @Test("a resize while no inner array is locked goes ahead; after the inner iteration ends too")
    func unlockedInnerArraysAllowMutation() {
        let a = CheckedArray([CheckedArray([1, 2])], name: "a")
        let other = CheckedArray([0])
        let violations = checkContainers {
            for _ in other { a.append(CheckedArray()) }  // an unrelated lock: a's elements are not locked
            for _ in a[0] {}
            a.resize(to: 3, repeating: CheckedArray())
        }
        #expect(violations.isEmpty)
        #expect(a.count == 3)
    }

    @Test("plain element types pay nothing: only element types that hold checked containers are looked into")
    func onlyContainerElementsAreLookedInto() {
        #expect(!CheckedArray<Int>().checksElements)
        #expect(!CheckedArray<String>().checksElements)
        #expect(!CheckedDictionary<String, [Int]>().checksElements)
        #expect(CheckedArray<CheckedArray<Int>>().checksElements)
        #expect(CheckedArray<CheckedArray<Int>?>().checksElements)
        #expect(CheckedDictionary<String, Inventory>().checksElements)
        #expect(!CheckedDictionary<String, UncheckedInventory>().checksElements)
    }

    @Test("a container that holds itself is verified once (no endless recursion)")
    func selfContainingContainerTerminates() {
        let nested = CheckedArray<CheckedArray<Int>?>([nil], name: "outer")
        let inner = CheckedArray([1], name: "inner")
        nested[0] = inner
        let cyclic = CheckedArray<Inventory>([], name: "cyclic")
        let violations = checkContainers {
            inner.lock()
            nested.append(nil)
            inner.unlock()
            cyclic.append(Inventory(items: inner))
        }
        #expect(violations.map(\.operation) == ["push"])
        #expect(violations.first?.runtimeLocks?.first?.name.hasPrefix("outer[0]") == true)
    }
}
