import FoundationEssentials
import Testing

@testable import LockOrderHierarchy

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("JSON round trip")
struct RoundTripTests {
    @Test("julia.jsonData() decodes equal to .julia")
    func juliaRoundTrip() throws {
        let data = LockHierarchy.julia.jsonData()
        #expect(!data.isEmpty)
        let decoded = try LockHierarchy.decode(json: data, source: "<memory>")
        #expect(decoded == .julia)
        #expect(decoded.jsonData() == data)
    }

    @Test("docs/julia-hierarchy.json decodes equal to .julia and is up to date")
    func docsFile() throws {
        let path = packageDirectory() + "/docs/julia-hierarchy.json"
        let expected = Array(LockHierarchy.julia.jsonData()) + Array("\n".utf8)
        // Set LOCKORDER_REGENERATE_DOCS=1 to rewrite the file from the table.
        if getenv("LOCKORDER_REGENERATE_DOCS") != nil {
            #expect(writeFile(path, expected))
        }
        let loaded = try LockHierarchy.load(path: path)
        #expect(loaded == .julia)
        #expect(try LockHierarchy.readFile(path: path) == expected)
    }

    @Test("the example in docs/hierarchy.md is a valid file")
    func docsExample() throws {
        let markdown = try LockHierarchy.readFile(path: packageDirectory() + "/docs/hierarchy.md")
        let text = String(decoding: markdown, as: UTF8.self)
        let start = try #require(text.firstRange(of: "```json\n"))
        let end = try #require(text[start.upperBound...].firstRange(of: "```"))
        let example = try LockHierarchy.decode(
            json: Array(text[start.upperBound..<end.lowerBound].utf8), source: "hierarchy.md")
        #expect(example.name == "my-app")
        #expect(example.exceptions.count == 2)
        #expect(example.forbiddenOperations.count == 2)
    }

    @Test("every selector, exception and optional field survives a round trip")
    func fullRoundTrip() throws {
        let hierarchy = try LockHierarchy(
            name: "full",
            locks: [
                DeclaredLock(name: "top", level: 255, note: "line one\nline two"),
                DeclaredLock(name: "mid", level: 10, kind: "std::mutex"),
                DeclaredLock(name: "pool", level: 10, kind: "std::mutex"),
                DeclaredLock(name: "leaf/\"quoted\"", level: 1, kind: "uv_mutex_t"),
            ],
            exceptions: [.guardedSameLevel(lock: "mid", guard: "top"), .instanceOrder(lock: "pool")],
            implicitAcquisitions: [
                ImplicitAcquisition(option: LockOption(rawValue: "custom"), lock: "leaf/\"quoted\"")
            ],
            forbiddenOperations: [
                ForbiddenOperation(operation: .io, whileHolding: .listedBefore("pool"), reason: "r1"),
                ForbiddenOperation(operation: .safepoint, whileHolding: .levels([1, 10])),
                ForbiddenOperation(
                    operation: .allocation, whileHolding: .kinds(["std::mutex", "uv_mutex_t"]), reason: "r3"),
                ForbiddenOperation(
                    operation: ThreadOperation(rawValue: "syscall"), whileHolding: .locks(["top", "mid"]),
                    reason: "r4"),
            ])
        let decoded = try LockHierarchy.decode(json: hierarchy.jsonData(), source: "<memory>")
        #expect(decoded == hierarchy)
    }

    @Test("only name and locks are required; empty lists are left out when encoding")
    func minimalFile() throws {
        let hierarchy = try LockHierarchy.decode(
            json: Array(#"{"name": "m", "locks": [{"name": "a", "level": 1}]}"#.utf8), source: "m.json")
        #expect(hierarchy.exceptions.isEmpty)
        #expect(hierarchy.implicitAcquisitions.isEmpty)
        #expect(hierarchy.forbiddenOperations.isEmpty)
        let text = String(decoding: hierarchy.jsonData(), as: UTF8.self)
        #expect(!text.contains("exceptions"))
        #expect(!text.contains("kind"))
        #expect(try LockHierarchy.decode(json: hierarchy.jsonData(), source: "m.json") == hierarchy)
    }

    @Test("a reason left out decodes as empty; kind null decodes as absent")
    func optionalValues() throws {
        let hierarchy = try LockHierarchy.decode(
            json: Array(
                sampleJSON(
                    locks: """
                        [{"name": "a", "level": 2, "kind": null}, {"name": "b", "level": 1, "kind": "k"}]
                        """,
                    extra: #""forbiddenOperations": [{"operation": "io", "whileHolding": {"locks": ["a"]}}]"#
                ).utf8),
            source: "o.json")
        #expect(hierarchy.locks[0].kind == nil)
        #expect(hierarchy.forbiddenOperations.first?.reason == "")
    }
}
