import LockOrderChecker

/// An array with reference semantics whose mutations are refused while it is iterated or
/// locked: the Swift form of Daslang's locked `array` (docs/containers.md).
///
/// Iterating it (`for x in array`, `map`, `first(where:)`, any `Sequence` algorithm) locks it
/// until the iteration is exhausted or the iterator goes away; `lock()`/`unlock()` lock it
/// explicitly (counted). While locked, every operation of the seed's list (`append` for
/// `push`/`emplace`, `append(contentsOf:)` for `push_clone`, `insert`, `remove` for `erase`,
/// `removeLast` for `pop`, `removeAll` for `clear`, `resize`, `reserveCapacity` for `reserve`,
/// `replace(with:)` and `take(from:)` for `a <- b`, `takeAll()` for `return <- a`) reports
/// `container_locked` and leaves the array unchanged (LOCKORDER_CHECK=abort stops the process
/// instead). With checking off each mutation costs one compare beyond `Array`'s own work and an
/// iteration one load. Writing an element through `[]` is not verified (the seed verifies `[]`
/// on tables only). Not `Sendable`: one thread uses it at a time.
public final class CheckedArray<Element>: CheckedContainer, Sequence, HoldsCheckedContainers {
    /// The elements.
    /// (Exclusivity is not enforced dynamically: see `lockCount`.)
    @exclusivity(unchecked) @usableFromInline var storage: [Element]

    /// Creates an array of `elements`. `name` is what reports call it.
    public init(_ elements: [Element] = [], name: String? = nil) {
        storage = elements
        super.init(
            name: name, checksElements: elementsHoldCheckedContainers(Element.self), context: nil)
    }

    /// Creates an array in a context: it follows the context's verification switch.
    init(_ elements: [Element], name: String?, context: ContextVerification) {
        storage = elements
        super.init(
            name: name, checksElements: elementsHoldCheckedContainers(Element.self), context: context)
    }

    override var typeName: String { "CheckedArray<\(Element.self)>" }

    /// The array itself, as an element of another checked container.
    public var checkedContainers: [CheckedContainer] { [self] }

    // MARK: Reading

    /// The number of elements.
    @inlinable public var count: Int { storage.count }

    /// Whether the array is empty.
    @inlinable public var isEmpty: Bool { storage.isEmpty }

    /// The elements' capacity.
    @inlinable public var capacity: Int { storage.capacity }

    /// A copy of the elements as a plain array (a value: later changes do not show in it).
    @inlinable public var elements: [Element] { storage }

    /// The element at `index`; writing it replaces the element without verifying locks (the seed
    /// verifies `[]` on tables only).
    @inlinable public subscript(index: Int) -> Element {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    /// The first element, if any.
    @inlinable public var first: Element? { storage.first }

    /// The last element, if any.
    @inlinable public var last: Element? { storage.last }

    // MARK: Iteration

    /// Iterates the elements, locking the array until the iterator is exhausted or goes away.
    public struct Iterator: IteratorProtocol {
        @usableFromInline var base: IndexingIterator<[Element]>
        @usableFromInline let iterationLock: IterationLock?

        @inlinable init(base: IndexingIterator<[Element]>, iterationLock: IterationLock?) {
            self.base = base
            self.iterationLock = iterationLock
        }

        /// The next element; nil, and the lock released, at the end.
        @inlinable public mutating func next() -> Element? {
            if let element = base.next() { return element }
            iterationLock?.release()
            return nil
        }
    }

    /// Starts an iteration: the array is locked until it ends (with checking on).
    @inlinable public func makeIterator() -> Iterator {
        let iterationLock =
            LockOrder.fastPathEpoch == nil ? nil : lockForIteration("iteration", site: nil)
        return Iterator(base: storage.makeIterator(), iterationLock: iterationLock)
    }

    /// The number of elements, for `Sequence` algorithms.
    @inlinable public var underestimatedCount: Int { storage.count }

    /// Runs `body` on each element with the array locked, as an iteration whose site is known
    /// (reports name this call's line instead of a backtrace frame).
    @inlinable public func forEachLocked(
        fileID: StaticString = #fileID, line: UInt = #line, _ body: (Element) throws -> Void
    ) rethrows {
        let iterationLock =
            LockOrder.fastPathEpoch == nil
            ? nil : lockForIteration("iteration", site: SourceSite(fileID: fileID, line: line))
        defer { iterationLock?.release() }
        for element in storage { try body(element) }
    }

    /// The first element satisfying `predicate`, with the array locked while it looks (a
    /// find-style lookup).
    @inlinable public func first(
        fileID: StaticString = #fileID, line: UInt = #line, where predicate: (Element) throws -> Bool
    ) rethrows -> Element? {
        let iterationLock =
            LockOrder.fastPathEpoch == nil
            ? nil : lockForIteration("find", site: SourceSite(fileID: fileID, line: line))
        defer { iterationLock?.release() }
        return try storage.first(where: predicate)
    }

    /// Whether an element satisfies `predicate`, with the array locked while it looks.
    @inlinable public func contains(
        fileID: StaticString = #fileID, line: UInt = #line, where predicate: (Element) throws -> Bool
    ) rethrows -> Bool {
        let iterationLock =
            LockOrder.fastPathEpoch == nil
            ? nil : lockForIteration("find", site: SourceSite(fileID: fileID, line: line))
        defer { iterationLock?.release() }
        return try storage.contains(where: predicate)
    }

    /// The index of the first element satisfying `predicate`, with the array locked while it
    /// looks.
    @inlinable public func firstIndex(
        fileID: StaticString = #fileID, line: UInt = #line, where predicate: (Element) throws -> Bool
    ) rethrows -> Int? {
        let iterationLock =
            LockOrder.fastPathEpoch == nil
            ? nil : lockForIteration("find", site: SourceSite(fileID: fileID, line: line))
        defer { iterationLock?.release() }
        return try storage.firstIndex(where: predicate)
    }

    // MARK: Mutation (each verifies the locks first)

    /// Appends an element (`push`, `emplace`). Refused while locked.
    @inlinable public func append(_ element: Element, fileID: StaticString = #fileID, line: UInt = #line) {
        guard mayModify("push", fileID: fileID, line: line) else { return }
        storage.append(element)
    }

    /// Appends the elements of a sequence (`push_clone`). Refused while locked.
    @inlinable public func append<S: Sequence>(
        contentsOf elements: S, fileID: StaticString = #fileID, line: UInt = #line
    ) where S.Element == Element {
        guard mayModify("push_clone", fileID: fileID, line: line) else { return }
        storage.append(contentsOf: elements)
    }

    /// Inserts an element at `index` (`insert`). Refused while locked.
    @inlinable public func insert(
        _ element: Element, at index: Int, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        guard mayModify("insert", fileID: fileID, line: line) else { return }
        storage.insert(element, at: index)
    }

    /// Removes and returns the element at `index` (`erase`); nil when refused while locked.
    @inlinable @discardableResult public func remove(
        at index: Int, fileID: StaticString = #fileID, line: UInt = #line
    ) -> Element? {
        guard mayModify("erase", fileID: fileID, line: line) else { return nil }
        return storage.remove(at: index)
    }

    /// Removes and returns the last element (`pop`); nil when the array is empty or the call is
    /// refused while locked.
    @inlinable @discardableResult public func removeLast(
        fileID: StaticString = #fileID, line: UInt = #line
    ) -> Element? {
        guard mayModify("pop", fileID: fileID, line: line) else { return nil }
        return storage.popLast()
    }

    /// Removes every element (`clear`). Refused while locked.
    @inlinable public func removeAll(
        keepingCapacity: Bool = false, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        guard mayModify("clear", fileID: fileID, line: line) else { return }
        storage.removeAll(keepingCapacity: keepingCapacity)
    }

    /// Sets the count to `newCount`, dropping elements at the end or adding copies of
    /// `filler` (`resize`). Refused while locked.
    @inlinable public func resize(
        to newCount: Int, repeating filler: Element, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        guard mayModify("resize", fileID: fileID, line: line) else { return }
        if newCount < storage.count {
            storage.removeLast(storage.count - Swift.max(newCount, 0))
        } else {
            storage.append(contentsOf: repeatElement(filler, count: newCount - storage.count))
        }
    }

    /// Reserves room for `minimumCapacity` elements (`reserve`). Refused while locked.
    @inlinable public func reserveCapacity(
        _ minimumCapacity: Int, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        guard mayModify("reserve", fileID: fileID, line: line) else { return }
        storage.reserveCapacity(minimumCapacity)
    }

    /// Replaces every element (`a <- b` with a plain array on the right). Refused while locked.
    @inlinable public func replace(
        with elements: [Element], fileID: StaticString = #fileID, line: UInt = #line
    ) {
        guard mayModify("a <- b", fileID: fileID, line: line) else { return }
        storage = elements
    }

    /// Moves the elements of `source` into this array, leaving `source` empty (`a <- b`).
    /// Refused, both arrays unchanged, while either is locked.
    @inlinable public func take(
        from source: CheckedArray<Element>, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        guard source !== self, mayModify("a <- b", fileID: fileID, line: line),
            source.mayModify("a <- b", fileID: fileID, line: line)
        else { return }
        storage = source.storage
        source.storage = []
    }

    /// Moves every element out, leaving the array empty (`return <- a`); nil when refused while
    /// locked.
    @inlinable public func takeAll(fileID: StaticString = #fileID, line: UInt = #line) -> [Element]? {
        guard mayModify("return <- a", fileID: fileID, line: line) else { return nil }
        defer { storage = [] }
        return storage
    }

    // MARK: Nested checks

    override func collectElementLocks(
        path: String, into found: inout [RuntimeLockSnapshot], visited: inout Set<ObjectIdentifier>
    ) {
        for (index, element) in storage.enumerated() {
            collectLocks(
                inElement: element, elementPath: "\(path)[\(index)]", into: &found, visited: &visited)
        }
    }
}

extension CheckedArray where Element: Equatable {
    /// Whether the array contains `element`, with the array locked while it looks.
    @inlinable public func contains(_ element: Element, fileID: StaticString = #fileID, line: UInt = #line)
        -> Bool
    {
        contains(fileID: fileID, line: line) { $0 == element }
    }
}
