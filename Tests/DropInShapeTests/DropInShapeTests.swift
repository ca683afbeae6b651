import LockCore
import NIOConcurrencyHelpers
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// The drop-ins are checked against the types they mirror at compile time: one piece of user
// code, written against the names a code base uses (`Mutex`, `NIOLock`, `NIOLockedValueBox`),
// is compiled twice, once with the names bound to the real types and once to the checked ones,
// as the `#if DEBUG` typealias of docs/locks.md binds them. The two copies between the markers
// must stay identical: `sharedCodeIsIdentical` compares them.

/// The names bound to the real types (a release build).
enum RealTypes {
    typealias Mutex<Value: ~Copyable> = Synchronization.Mutex<Value>
    typealias Lock = NIOLock
    typealias LockedValueBox<Value> = NIOLockedValueBox<Value>
}

/// The names bound to the checked drop-ins (a debug build).
enum CheckedTypes {
    typealias Mutex<Value: ~Copyable> = CheckedValueMutex<Value>
    typealias Lock = CheckedNIOLock
    typealias LockedValueBox<Value> = CheckedNIOLockedValueBox<Value>
}

/// A value that cannot be copied, as `Synchronization.Mutex` allows.
struct Token: ~Copyable {
    var uses = 0
}

/// A failure thrown through the typed-throws bodies.
struct ShapeFailure: Error, Equatable {}

// BEGIN SHARED
extension RealTypes {
    final class Registry: Sendable {
        let names = Mutex<[String]>([])
        let token = Mutex(Token())
        let lock = Lock()
        let counts = LockedValueBox([String: Int]())
    }

    static func exercise() -> [Int] {
        var results: [Int] = []
        let registry = Registry()
        registry.names.withLock { $0.append("a") }
        let count: Int = registry.names.withLock { $0.count }
        results.append(count)
        results.append(
            registry.token.withLock { token in
                token.uses += 1
                return token.uses
            })
        results.append(registry.names.withLockIfAvailable { $0.count } ?? -1)
        do {
            try registry.names.withLock { (_: inout [String]) throws(ShapeFailure) -> Void in
                throw ShapeFailure()
            }
        } catch {
            results.append(error == ShapeFailure() ? 10 : 11)
        }
        registry.lock.lock()
        registry.lock.unlock()
        results.append(registry.lock.withLock { 20 })
        registry.lock.withLockVoid { results.append(21) }
        registry.counts.withLockedValue { $0["x", default: 0] += 30 }
        results.append(registry.counts.withLockedValue { $0["x"] ?? 0 })
        registry.counts.unsafe.lock()
        registry.counts.unsafe.withValueAssumingLockIsAcquired { $0["x"] = 31 }
        registry.counts.unsafe.unlock()
        results.append(registry.counts.withLockedValue { $0["x"] ?? 0 })
        let shared: @Sendable () -> Void = { registry.counts.withLockedValue { $0["y"] = 1 } }
        shared()
        return results
    }
}
// END SHARED

// BEGIN SHARED
extension CheckedTypes {
    final class Registry: Sendable {
        let names = Mutex<[String]>([])
        let token = Mutex(Token())
        let lock = Lock()
        let counts = LockedValueBox([String: Int]())
    }

    static func exercise() -> [Int] {
        var results: [Int] = []
        let registry = Registry()
        registry.names.withLock { $0.append("a") }
        let count: Int = registry.names.withLock { $0.count }
        results.append(count)
        results.append(
            registry.token.withLock { token in
                token.uses += 1
                return token.uses
            })
        results.append(registry.names.withLockIfAvailable { $0.count } ?? -1)
        do {
            try registry.names.withLock { (_: inout [String]) throws(ShapeFailure) -> Void in
                throw ShapeFailure()
            }
        } catch {
            results.append(error == ShapeFailure() ? 10 : 11)
        }
        registry.lock.lock()
        registry.lock.unlock()
        results.append(registry.lock.withLock { 20 })
        registry.lock.withLockVoid { results.append(21) }
        registry.counts.withLockedValue { $0["x", default: 0] += 30 }
        results.append(registry.counts.withLockedValue { $0["x"] ?? 0 })
        registry.counts.unsafe.lock()
        registry.counts.unsafe.withValueAssumingLockIsAcquired { $0["x"] = 31 }
        registry.counts.unsafe.unlock()
        results.append(registry.counts.withLockedValue { $0["x"] ?? 0 })
        let shared: @Sendable () -> Void = { registry.counts.withLockedValue { $0["y"] = 1 } }
        shared()
        return results
    }
}
// END SHARED

@Suite("Drop-in shapes", .serialized)
struct DropInShapeTests {
    @Test("the same code compiles and behaves alike against the real types and the drop-ins")
    func sameBehaviour() {
        let expected = [1, 1, 1, 10, 20, 21, 30, 31]
        #expect(RealTypes.exercise() == expected)
        let violations = LockOrder.withChecking {
            #expect(CheckedTypes.exercise() == expected)
        }
        #expect(violations.isEmpty, "\(violations.map(\.text))")
    }

    @Test("the two copies of the shared code are the same text but for the namespace")
    func sharedCodeIsIdentical() throws {
        let source = try #require(readFile(#filePath))
        let blocks = source.components(separatedBy: "// BEGIN SHARED\n").dropFirst().map {
            $0.components(separatedBy: "// END SHARED\n")[0]
        }
        #expect(blocks.count == 2)
        guard blocks.count == 2 else { return }
        #expect(
            blocks[0].replacing("extension RealTypes", with: "")
                == blocks[1].replacing("extension CheckedTypes", with: ""))
    }

    @Test("ABBA through CheckedValueMutex: an order cycle, classed at the creation lines")
    func valueMutexABBA() throws {
        let violations = LockOrder.withChecking {
            let a = CheckedValueMutex(0, name: "a")
            let b = CheckedValueMutex(0, name: "b")
            a.withLock { _ in b.withLock { _ in } }
            b.withLock { _ in a.withLock { _ in } }
        }
        try expectCycle(violations, acquiring: "a", holding: "b")
    }

    @Test("ABBA through CheckedNIOLock: an order cycle, classed at the creation lines")
    func nioLockABBA() throws {
        let violations = LockOrder.withChecking {
            let a = CheckedNIOLock("a")
            let b = CheckedNIOLock("b")
            a.withLockVoid { b.withLockVoid {} }
            b.withLock { a.withLock {} }
        }
        try expectCycle(violations, acquiring: "a", holding: "b")
    }

    @Test("ABBA through CheckedNIOLockedValueBox: an order cycle, classed at the creation lines")
    func nioBoxABBA() throws {
        let violations = LockOrder.withChecking {
            let a = CheckedNIOLockedValueBox(0, name: "a")
            let b = CheckedNIOLockedValueBox(0, name: "b")
            a.withLockedValue { _ in b.withLockedValue { _ in } }
            b.withLockedValue { _ in a.withLockedValue { _ in } }
        }
        try expectCycle(violations, acquiring: "a", holding: "b")
    }

    @Test("unnamed drop-ins made on two lines are two classes, named after their lines")
    func creationSiteClasses() throws {
        let violations = LockOrder.withChecking {
            let a = CheckedValueMutex(0)
            let b = CheckedNIOLock()
            a.withLock { _ in b.withLockVoid {} }
            b.withLockVoid { a.withLock { _ in } }
        }
        #expect(violations.map(\.kind) == [.orderCycle])
        let lock = try #require(violations.first?.lock)
        #expect(lock.className.hasPrefix("DropInShapeTests/DropInShapeTests.swift:"), "\(lock.className)")
        #expect(
            violations.first?.held.first?.className.hasPrefix("DropInShapeTests/DropInShapeTests.swift:")
                == true)
        #expect(lock.className != violations.first?.held.first?.className)
    }

    @Test("a relock of CheckedValueMutex by its owner through withLockIfAvailable is a failed trylock")
    func relockIfAvailable() {
        let violations = LockOrder.withChecking {
            let mutex = CheckedValueMutex(1)
            let inner = mutex.withLock { _ in mutex.withLockIfAvailable { $0 } }
            #expect(inner == nil)
        }
        #expect(violations.isEmpty)
    }

    private func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func expectCycle(_ violations: [Violation], acquiring: String, holding: String) throws {
        #expect(violations.map(\.kind) == [.orderCycle])
        let message = try #require(violations.first?.message)
        #expect(
            message.hasPrefix(
                "order cycle: acquiring \(acquiring) while holding \(holding) closes the cycle "))
        #expect(violations.first?.site.hasPrefix("DropInShapeTests/DropInShapeTests.swift:") == true)
    }
}
