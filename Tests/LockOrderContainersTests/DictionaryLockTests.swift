import LockOrderChecker
import LockOrderContainers
import Testing

/// "keys and values iterators lock Table as well", "Tables are also locked during the find*
/// operations", "Accessing locked Table elements via [] operation would cause panic".
@Suite("Dictionary locks", .serialized)
struct DictionaryLockTests {
    @Test("iterating keys locks the dictionary: an insert inside the loop is refused")
    func keysLock() throws {
        let table = CheckedDictionary(["a": 1], name: "table")
        let violations = checkContainers {
            for key in table.keys { table[key + "!"] = 2 }
        }
        #expect(table.entries == ["a": 1])
        try #require(violations.count == 1)
        #expect(violations[0].kind == .containerLocked)
        #expect(violations[0].operation == "[]")
        #expect(violations[0].runtimeLocks?.map(\.lockedBy) == ["keys"])
        #expect(
            violations[0].message
                == "container locked: [] on table (CheckedDictionary<String, Int>) while it is locked by keys"
        )
    }

    @Test("iterating values locks the dictionary: an erase inside the loop is refused")
    func valuesLock() throws {
        let table = CheckedDictionary(["a": 1, "b": 2])
        let violations = checkContainers {
            for _ in table.values { table.removeValue(forKey: "a") }
        }
        #expect(table.count == 2)
        try #require(violations.count == 1)
        #expect(violations[0].operation == "erase")
        #expect(violations[0].runtimeLocks?.map(\.lockedBy) == ["values"])
    }

    @Test("iterating the entries locks the dictionary too")
    func entriesLock() {
        let table = CheckedDictionary(["a": 1])
        let violations = checkContainers {
            for (key, _) in table { table.updateValue(0, forKey: key) }
        }
        #expect(table.entries == ["a": 1])
        #expect(violations.map(\.operation) == ["insert"])
    }

    @Test("keys and values iterated to the end: the dictionary is unlocked after")
    func iterationsToTheEndUnlock() {
        let table = CheckedDictionary(["a": 1])
        let violations = checkContainers {
            for _ in table.keys {}
            for _ in table.values {}
            for _ in table {}
            table["b"] = 2
            table.reserveCapacity(8)
            table.removeValue(forKey: "a")
        }
        #expect(violations.isEmpty)
        #expect(table.entries == ["b": 2])
    }

    @Test("find locks the dictionary for its duration: a mutation inside is refused, after it works")
    func findLocks() throws {
        let table = CheckedDictionary(["a": 1], name: "table")
        var findLine = 0
        let violations = checkContainers {
            findLine = #line + 1
            let found = table.find("a") { value in
                table.removeAll()
                return value
            }
            #expect(found == 1)
            table.removeAll()
        }
        #expect(table.isEmpty)
        try #require(violations.count == 1)
        #expect(violations[0].operation == "clear")
        #expect(
            violations[0].runtimeLocks?.map(\.summary) == [
                "table (CheckedDictionary<String, Int>), locked by find at \(siteFile()):\(findLine)"
            ])
    }

    @Test(
        "[] on a locked dictionary is refused: the read reported (value still returned), the write not done")
    func subscriptOnLockedDictionaryIsRefused() throws {
        let table = CheckedDictionary(["a": 1], name: "table")
        var read: Int?
        let violations = checkContainers {
            table.lock()
            read = table["a"]
            table["a"] = 5
            #expect(table.find("a") { $0 } == 1)  // find reads a locked table
            #expect(table.value(forKey: "a") == 1)
            table.unlock()
            #expect(table["a"] == 1)
        }
        #expect(read == 1)
        #expect(table.entries == ["a": 1])
        try #require(violations.count == 2)
        #expect(violations.map(\.operation) == ["[] read", "[]"])
        #expect(violations[0].rule.hasPrefix("a locked dictionary cannot be accessed through []"))
        #expect(violations[0].hint == "read it with find(key) while it is locked, or after the lock ends")
    }

    @Test("each dictionary operation of the seed's list is refused while locked")
    func everyListedOperationIsRefused() {
        let table = CheckedDictionary(["a": 1])
        let other = CheckedDictionary(["z": 26])
        let violations = checkContainers {
            table.lock()
            table.updateValue(2, forKey: "b")
            table.removeValue(forKey: "a")
            table.removeAll()
            table.reserveCapacity(100)
            table.replace(with: [:])
            table.take(from: other)
            #expect(table.takeAll() == nil)
            table.unlock()
        }
        #expect(table.entries == ["a": 1])
        #expect(other.entries == ["z": 26])
        #expect(
            violations.map(\.operation) == [
                "insert", "erase", "clear", "reserve", "a <- b", "a <- b", "return <- a",
            ])
    }
}
