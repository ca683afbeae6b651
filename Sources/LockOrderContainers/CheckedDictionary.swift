import LockOrderChecker

/// A dictionary with reference semantics whose mutations are refused while it is iterated,
/// looked into or locked: the Swift form of Daslang's locked `table` (docs/containers.md).
///
/// Iterating it, its `keys` or its `values` locks it until the iteration is exhausted or the
/// iterator goes away; `find(_:_:)`, `first(where:)` and `contains(where:)` lock it for their
/// duration; `lock()`/`unlock()` lock it explicitly (counted). While locked, every mutation
/// (`[]=` and `updateValue` for `insert`/`emplace`, `removeValue` for `erase`, `removeAll` for
/// `clear`, `reserveCapacity` for `reserve`, `replace(with:)` and `take(from:)` for `a <- b`,
/// `takeAll()` for `return <- a`) and also a read through `[]` report `container_locked`; the
/// dictionary is left unchanged (LOCKORDER_CHECK=abort stops the process instead). A refused
/// `[]` read still returns the stored value (the read changes nothing); `find` is the lookup that
/// works on a locked dictionary. Not `Sendable`: one thread uses it at a time.
public final class CheckedDictionary<Key: Hashable, Value>: CheckedContainer, Sequence, HoldsCheckedContainers
{
    /// The entries.
    /// (Exclusivity is not enforced dynamically: see `lockCount`.)
    @exclusivity(unchecked) @usableFromInline var storage: [Key: Value]

    /// Creates a dictionary of `entries`. `name` is what reports call it.
    public init(_ entries: [Key: Value] = [:], name: String? = nil) {
        storage = entries
        super.init(name: name, checksElements: elementsHoldCheckedContainers(Value.self), context: nil)
    }

    /// Creates a dictionary in a context: it follows the context's verification switch.
    init(_ entries: [Key: Value], name: String?, context: ContextVerification) {
        storage = entries
        super.init(name: name, checksElements: elementsHoldCheckedContainers(Value.self), context: context)
    }

    override var typeName: String { "CheckedDictionary<\(Key.self), \(Value.self)>" }

    /// The dictionary itself, as an element of another checked container.
    public var checkedContainers: [CheckedContainer] { [self] }

    // MARK: Reading

    /// The number of entries.
    @inlinable public var count: Int { storage.count }

    /// Whether the dictionary is empty.
    @inlinable public var isEmpty: Bool { storage.isEmpty }

    /// A copy of the entries as a plain dictionary.
    @inlinable public var entries: [Key: Value] { storage }

    /// The value for `key` (the seed's `tab[key]`). Reading or writing through `[]` while the
    /// dictionary is locked is refused and reported: a refused read returns the stored value, a
    /// refused write changes nothing.
    @inlinable public subscript(key: Key, fileID: StaticString = #fileID, line: UInt = #line) -> Value? {
        get {
            if _slowPath(lockCount != 0) {
                _ = verifyLocks("[] read", site: SourceSite(fileID: fileID, line: line), rule: .subscriptRead)
            }
            return storage[key]
        }
        set {
            guard mayModify("[]", fileID: fileID, line: line) else { return }
            storage[key] = newValue
        }
    }

    /// Looks `key` up with the dictionary locked while `body` runs (the seed's `find`): `body`
    /// gets the value, or nil, and cannot modify the dictionary.
    @inlinable public func find<Result>(
        _ key: Key, fileID: StaticString = #fileID, line: UInt = #line, _ body: (Value?) throws -> Result
    ) rethrows -> Result {
        let iterationLock =
            LockOrder.fastPathEpoch == nil
            ? nil : lockForIteration("find", site: SourceSite(fileID: fileID, line: line))
        defer { iterationLock?.release() }
        return try body(storage[key])
    }

    /// The value for `key`, or nil: a lookup that also works while the dictionary is locked.
    @inlinable public func value(forKey key: Key) -> Value? { storage[key] }

    /// Whether the dictionary has an entry for `key` (a lookup that works while it is locked).
    @inlinable public func containsKey(_ key: Key) -> Bool { storage[key] != nil }

    /// The first entry satisfying `predicate`, with the dictionary locked while it looks.
    @inlinable public func first(
        fileID: StaticString = #fileID, line: UInt = #line,
        where predicate: ((key: Key, value: Value)) throws -> Bool
    ) rethrows -> (key: Key, value: Value)? {
        let iterationLock =
            LockOrder.fastPathEpoch == nil
            ? nil : lockForIteration("find", site: SourceSite(fileID: fileID, line: line))
        defer { iterationLock?.release() }
        return try storage.first(where: predicate)
    }

    /// Whether an entry satisfies `predicate`, with the dictionary locked while it looks.
    @inlinable public func contains(
        fileID: StaticString = #fileID, line: UInt = #line,
        where predicate: ((key: Key, value: Value)) throws -> Bool
    ) rethrows -> Bool {
        let iterationLock =
            LockOrder.fastPathEpoch == nil
            ? nil : lockForIteration("find", site: SourceSite(fileID: fileID, line: line))
        defer { iterationLock?.release() }
        return try storage.contains(where: predicate)
    }

    // MARK: Iteration

    /// Iterates a view of the dictionary, locking it until the iterator is exhausted or goes away.
    public struct LockingIterator<Base: IteratorProtocol>: IteratorProtocol {
        @usableFromInline var base: Base
        @usableFromInline let iterationLock: IterationLock?

        @inlinable init(base: Base, iterationLock: IterationLock?) {
            self.base = base
            self.iterationLock = iterationLock
        }

        /// The next element; nil, and the lock released, at the end.
        @inlinable public mutating func next() -> Base.Element? {
            if let element = base.next() { return element }
            iterationLock?.release()
            return nil
        }
    }

    /// Starts an iteration over the entries: the dictionary is locked until it ends.
    @inlinable public func makeIterator() -> LockingIterator<Dictionary<Key, Value>.Iterator> {
        let iterationLock =
            LockOrder.fastPathEpoch == nil ? nil : lockForIteration("iteration", site: nil)
        return LockingIterator(base: storage.makeIterator(), iterationLock: iterationLock)
    }

    /// The number of entries, for `Sequence` algorithms.
    @inlinable public var underestimatedCount: Int { storage.count }

    /// The keys; iterating them locks the dictionary (the seed's `keys` iterator).
    @inlinable public var keys: Keys { Keys(dictionary: self) }

    /// The values; iterating them locks the dictionary (the seed's `values` iterator).
    @inlinable public var values: Values { Values(dictionary: self) }

    /// The keys of a checked dictionary, as a sequence that locks it while iterated.
    public struct Keys: Sequence {
        @usableFromInline let dictionary: CheckedDictionary

        @inlinable init(dictionary: CheckedDictionary) { self.dictionary = dictionary }

        /// Starts an iteration over the keys: the dictionary is locked until it ends.
        @inlinable public func makeIterator() -> LockingIterator<Dictionary<Key, Value>.Keys.Iterator> {
            let iterationLock =
                LockOrder.fastPathEpoch == nil ? nil : dictionary.lockForIteration("keys", site: nil)
            return LockingIterator(base: dictionary.storage.keys.makeIterator(), iterationLock: iterationLock)
        }

        /// The number of keys.
        @inlinable public var underestimatedCount: Int { dictionary.storage.count }
    }

    /// The values of a checked dictionary, as a sequence that locks it while iterated.
    public struct Values: Sequence {
        @usableFromInline let dictionary: CheckedDictionary

        @inlinable init(dictionary: CheckedDictionary) { self.dictionary = dictionary }

        /// Starts an iteration over the values: the dictionary is locked until it ends.
        @inlinable public func makeIterator() -> LockingIterator<Dictionary<Key, Value>.Values.Iterator> {
            let iterationLock =
                LockOrder.fastPathEpoch == nil ? nil : dictionary.lockForIteration("values", site: nil)
            return LockingIterator(
                base: dictionary.storage.values.makeIterator(), iterationLock: iterationLock)
        }

        /// The number of values.
        @inlinable public var underestimatedCount: Int { dictionary.storage.count }
    }

    // MARK: Mutation (each verifies the locks first)

    /// Sets the value for `key` (`insert`, `emplace`) and returns the old one. Refused while
    /// locked: nothing changes and nil is returned.
    @inlinable @discardableResult public func updateValue(
        _ value: Value, forKey key: Key, fileID: StaticString = #fileID, line: UInt = #line
    ) -> Value? {
        guard mayModify("insert", fileID: fileID, line: line) else { return nil }
        return storage.updateValue(value, forKey: key)
    }

    /// Removes the entry for `key` (`erase`) and returns its value; nil when there was none or
    /// the call is refused while locked.
    @inlinable @discardableResult public func removeValue(
        forKey key: Key, fileID: StaticString = #fileID, line: UInt = #line
    ) -> Value? {
        guard mayModify("erase", fileID: fileID, line: line) else { return nil }
        return storage.removeValue(forKey: key)
    }

    /// Removes every entry (`clear`). Refused while locked.
    @inlinable public func removeAll(
        keepingCapacity: Bool = false, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        guard mayModify("clear", fileID: fileID, line: line) else { return }
        storage.removeAll(keepingCapacity: keepingCapacity)
    }

    /// Reserves room for `minimumCapacity` entries (`reserve`). Refused while locked.
    @inlinable public func reserveCapacity(
        _ minimumCapacity: Int, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        guard mayModify("reserve", fileID: fileID, line: line) else { return }
        storage.reserveCapacity(minimumCapacity)
    }

    /// Replaces every entry (`a <- b` with a plain dictionary on the right). Refused while locked.
    @inlinable public func replace(
        with entries: [Key: Value], fileID: StaticString = #fileID, line: UInt = #line
    ) {
        guard mayModify("a <- b", fileID: fileID, line: line) else { return }
        storage = entries
    }

    /// Moves the entries of `source` into this dictionary, leaving `source` empty (`a <- b`).
    /// Refused, both unchanged, while either is locked.
    @inlinable public func take(
        from source: CheckedDictionary<Key, Value>, fileID: StaticString = #fileID, line: UInt = #line
    ) {
        guard source !== self, mayModify("a <- b", fileID: fileID, line: line),
            source.mayModify("a <- b", fileID: fileID, line: line)
        else { return }
        storage = source.storage
        source.storage = [:]
    }

    /// Moves every entry out, leaving the dictionary empty (`return <- a`); nil when refused
    /// while locked.
    @inlinable public func takeAll(fileID: StaticString = #fileID, line: UInt = #line) -> [Key: Value]? {
        guard mayModify("return <- a", fileID: fileID, line: line) else { return nil }
        defer { storage = [:] }
        return storage
    }

    // MARK: Nested checks

    override func collectElementLocks(
        path: String, into found: inout [RuntimeLockSnapshot], visited: inout Set<ObjectIdentifier>
    ) {
        for (key, value) in storage {
            collectLocks(inElement: value, elementPath: "\(path)[\(key)]", into: &found, visited: &visited)
        }
    }
}
