import LockOrderChecker
import Testing

@testable import LockOrderContainers

/// "Arrays are locked when iterated over", "When locked, they can't be modified", and the
/// explicit lock: each sentence of the seed's array locks, broken and respected.
@Suite("Array locks", .serialized)
struct ArrayLockTests {
    @Test("iterate, then push inside the loop: refused, reported, the array unchanged")
    func pushWhileIteratingIsRefused() throws {
        let numbers = CheckedArray([1, 2, 3], name: "numbers")
        var pushLine = 0
        let violations = checkContainers {
            for number in numbers where number == 1 {
                pushLine = #line + 1
                numbers.append(4)
            }
        }
        #expect(numbers.elements == [1, 2, 3])
        try #require(violations.count == 1)
        let violation = violations[0]
        #expect(violation.kind == .containerLocked)
        #expect(violation.operation == "push")
        #expect(violation.site == "\(siteFile()):\(pushLine)")
        #expect(violation.lock == nil)
        #expect(
            violation.message
                == "container locked: push on numbers (CheckedArray<Int>) while it is locked by iteration"
        )
        let locks = try #require(violation.runtimeLocks)
        #expect(locks.map(\.name) == ["numbers (CheckedArray<Int>)"])
        #expect(locks.map(\.lockedBy) == ["iteration"])
        #expect(!locks[0].site.isEmpty && locks[0].site != "an unknown site")
        #expect(reportLine(violation, startingWith: "  operation: ") == "  operation: push")
        #expect(reportLine(violation, startingWith: "  locked by:") == "  locked by:")
        #expect(violation.text.contains("    numbers (CheckedArray<Int>), locked by iteration at "))
        #expect(violation.rule.hasPrefix("a locked container cannot be modified"))
    }

    @Test("iterate to the end, then push: the iteration released the lock, nothing is reported")
    func pushAfterIterationIsFine() {
        let numbers = CheckedArray([1, 2, 3])
        let violations = checkContainers {
            var sum = 0
            for number in numbers { sum += number }
            numbers.append(sum)
            #expect(!numbers.isLocked)
        }
        #expect(violations.isEmpty)
        #expect(numbers.elements == [1, 2, 3, 6])
    }

    @Test("leave a loop early, then push: the iterator went away, so did the lock")
    func pushAfterBreakIsFine() {
        let numbers = CheckedArray([1, 2, 3])
        let violations = checkContainers {
            for number in numbers where number == 2 { break }
            _ = numbers.first { $0 == 2 }
            numbers.append(4)
        }
        #expect(violations.isEmpty)
        #expect(numbers.elements == [1, 2, 3, 4])
    }

    @Test("an iterator kept alive keeps the array locked until it is exhausted")
    func liveIteratorKeepsTheLock() throws {
        let numbers = CheckedArray([1])
        let violations = checkContainers {
            var iterator = numbers.makeIterator()
            _ = iterator.next()
            numbers.append(2)  // refused: the iterator is not exhausted
            _ = iterator.next()  // exhausted: released
            numbers.append(3)
            withExtendedLifetime(iterator) {}
        }
        #expect(numbers.elements == [1, 3])
        #expect(violations.map(\.kind) == [.containerLocked])
    }

    @Test("explicit lock(): every mutation is refused until unlock(); counted")
    func explicitLockIsCounted() throws {
        let numbers = CheckedArray([1], name: "numbers")
        var lockLine = 0
        let violations = checkContainers {
            lockLine = #line + 1
            numbers.lock()
            numbers.lock()
            numbers.append(2)
            numbers.unlock()
            numbers.append(3)  // still locked once
            numbers.unlock()
            numbers.append(4)
        }
        #expect(numbers.elements == [1, 4])
        try #require(violations.count == 2)
        let locks = try #require(violations[0].runtimeLocks)
        #expect(locks.count == 2)
        #expect(
            locks[0].summary == "numbers (CheckedArray<Int>), locked by lock() at \(siteFile()):\(lockLine)")
        #expect(violations[1].runtimeLocks?.count == 1)
    }

    @Test("each operation of the seed's list is refused on a locked array and leaves it unchanged")
    func everyListedOperationIsRefused() throws {
        let numbers = CheckedArray([1, 2, 3])
        let other = CheckedArray([9])
        var moved: [Int]?? = .none
        let violations = checkContainers {
            numbers.lock()
            numbers.resize(to: 100_500, repeating: 0)
            numbers.reserveCapacity(1000)
            numbers.append(4)
            numbers.append(contentsOf: [5, 6])
            numbers.removeLast()
            numbers.remove(at: 0)
            numbers.removeAll()
            numbers.insert(0, at: 0)
            numbers.replace(with: [7])
            numbers.take(from: other)
            moved = numbers.takeAll()
            numbers.unlock()
        }
        #expect(numbers.elements == [1, 2, 3])
        #expect(other.elements == [9])
        #expect(moved == .some(nil))
        #expect(
            violations.map(\.operation) == [
                "resize", "reserve", "push", "push_clone", "pop", "erase", "clear", "insert", "a <- b",
                "a <- b",
                "return <- a",
            ])
        #expect(violations.allSatisfy { $0.kind == .containerLocked })
    }

    @Test("the same operations on an unlocked array go ahead silently")
    func everyListedOperationWorksUnlocked() {
        let numbers = CheckedArray([1, 2, 3])
        let other = CheckedArray([9])
        let violations = checkContainers {
            numbers.resize(to: 5, repeating: 0)
            numbers.resize(to: 4, repeating: 0)
            numbers.reserveCapacity(10)
            numbers.append(4)
            numbers.append(contentsOf: [5])
            numbers.removeLast()
            numbers.remove(at: 0)
            numbers.insert(8, at: 0)
            numbers.take(from: other)
            #expect(numbers.takeAll() == [9])
            numbers.replace(with: [7])
        }
        #expect(violations.isEmpty)
        #expect(numbers.elements == [7])
        #expect(other.isEmpty)
    }

    @Test("unlock() without lock() is reported as unlock_not_held and changes nothing")
    func unlockWithoutLockIsReported() throws {
        let numbers = CheckedArray([1], name: "numbers")
        let violations = checkContainers { numbers.unlock() }
        try #require(violations.count == 1)
        #expect(violations[0].kind == .unlockNotHeld)
        #expect(
            violations[0].message
                == "unlock not held: unlock() of numbers (CheckedArray<Int>), which holds no explicit lock")
        #expect(!numbers.isLocked)
    }

    @Test("find-style lookups (first(where:), contains) lock the array while they look")
    func lookupsLock() throws {
        let numbers = CheckedArray([1, 2, 3])
        let violations = checkContainers {
            _ = numbers.first { number in
                numbers.append(number)
                return false
            }
            #expect(numbers.contains(2))
        }
        #expect(numbers.elements == [1, 2, 3])
        #expect(violations.count == 1)
        #expect(violations.first?.runtimeLocks?.first?.lockedBy == "find")
    }

    @Test("a repeated refusal at one site is reported once and counted")
    func repeatsAreDeduplicated() throws {
        let numbers = CheckedArray([1, 2, 3])
        let violations = checkContainers {
            for _ in numbers { numbers.append(0) }
        }
        try #require(violations.count == 1)
        #expect(violations[0].count == 3)
        #expect(numbers.count == 3)
    }
}
