import Testing

@testable import LockOrderHierarchy

@Suite("Loading files")
struct LoadTests {
    @Test("a missing file names strerror's text")
    func missingFile() {
        #expect(
            throws: HierarchyError(
                source: "/nonexistent/lockorder/h.json", location: "",
                problem: "cannot open file: No such file or directory")
        ) {
            try LockHierarchy.load(path: "/nonexistent/lockorder/h.json")
        }
        do {
            _ = try LockHierarchy.load(path: "/nonexistent/lockorder/h.json")
        } catch {
            #expect(
                error.description
                    == "lockorder: hierarchy '/nonexistent/lockorder/h.json': cannot open file: No such file or directory"
            )
        }
    }

    @Test("a directory cannot be read")
    func directory() throws {
        let directory = try #require(makeTemporaryDirectory())
        defer { removePath(directory) }
        do {
            _ = try LockHierarchy.load(path: directory)
            Issue.record("loading a directory succeeded")
        } catch {
            #expect(
                error.description == "lockorder: hierarchy '\(directory)': cannot read file: Is a directory")
        }
    }

    @Test("a path with a NUL byte is refused")
    func nulInPath() {
        do {
            _ = try LockHierarchy.load(path: "/tmp/a\u{0}b.json")
            Issue.record("loading succeeded")
        } catch {
            #expect(error.problem == "cannot open file: the path contains a NUL byte")
            #expect(error.location == "")
        }
    }

    @Test("a valid file loads")
    func validFile() throws {
        let directory = try #require(makeTemporaryDirectory())
        let path = directory + "/hierarchy.json"
        defer {
            removePath(path)
            removePath(directory)
        }
        #expect(writeFile(path, Array(sampleJSON().utf8)))
        let hierarchy = try LockHierarchy.load(path: path)
        #expect(hierarchy.name == "sample")
        #expect(
            hierarchy.locks == [
                DeclaredLock(name: "outer", level: 7),
                DeclaredLock(name: "middle", level: 3, kind: "std::mutex"),
                DeclaredLock(name: "inner", level: 1, kind: "uv_mutex_t", note: "leaf"),
            ])
    }

    @Test("a file larger than one read chunk loads")
    func largeFile() throws {
        let directory = try #require(makeTemporaryDirectory())
        let path = directory + "/julia.json"
        defer {
            removePath(path)
            removePath(directory)
        }
        var bytes = Array(LockHierarchy.julia.jsonData())
        bytes += [UInt8](repeating: UInt8(ascii: " "), count: 200_000)
        #expect(writeFile(path, bytes))
        #expect(try LockHierarchy.load(path: path) == .julia)
    }

    @Test("errors in a loaded file name the path")
    func errorNamesPath() throws {
        let directory = try #require(makeTemporaryDirectory())
        let path = directory + "/bad.json"
        defer {
            removePath(path)
            removePath(directory)
        }
        #expect(writeFile(path, Array(#"{"name": "x", "locks": [{"name": "a", "level": 0}]}"#.utf8)))
        do {
            _ = try LockHierarchy.load(path: path)
            Issue.record("loading succeeded")
        } catch {
            #expect(
                error.description
                    == "lockorder: hierarchy '\(path)': locks[0].level: level 0 is out of range 1...255")
        }
    }
}
