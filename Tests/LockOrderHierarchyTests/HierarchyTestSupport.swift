import FoundationEssentials

@testable import LockOrderHierarchy

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The description of the error decoding `json` throws, or nil if it decodes.
func decodeFailure(_ json: String, source: String = "test.json") -> String? {
    do {
        _ = try LockHierarchy.decode(json: Array(json.utf8), source: source)
        return nil
    } catch {
        return error.description
    }
}

/// The description of the error building a hierarchy in Swift throws, or nil.
func initFailure(
    name: String = "test",
    locks: [DeclaredLock],
    exceptions: [HierarchyException] = [],
    implicitAcquisitions: [ImplicitAcquisition] = [],
    forbiddenOperations: [ForbiddenOperation] = []
) -> String? {
    do {
        _ = try LockHierarchy(
            name: name, locks: locks, exceptions: exceptions,
            implicitAcquisitions: implicitAcquisitions,
            forbiddenOperations: forbiddenOperations)
        return nil
    } catch {
        return error.description
    }
}

/// A small valid file with the given extra top-level members spliced in.
func sampleJSON(locks: String? = nil, extra: String = "") -> String {
    let lockList =
        locks ?? """
            [
              {"name": "outer", "level": 7},
              {"name": "middle", "level": 3, "kind": "std::mutex"},
              {"name": "inner", "level": 1, "kind": "uv_mutex_t", "note": "leaf"}
            ]
            """
    return """
        {
          "name": "sample",
          "locks": \(lockList)\(extra.isEmpty ? "" : ",\n  " + extra)
        }
        """
}

/// The package directory, found from this file's path.
func packageDirectory(_ file: String = #filePath) -> String {
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    // .../Tests/HierarchyTests/TestSupport.swift -> ...
    parts.removeLast(3)
    return parts.joined(separator: "/")
}

/// A fresh temporary directory.
func makeTemporaryDirectory() -> String? {
    var template = Array("/tmp/lockorder-hierarchy-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { buffer -> String? in
        guard let base = buffer.baseAddress, mkdtemp(base) != nil else { return nil }
        return String(cString: base)
    }
}

/// Writes bytes to a file with POSIX calls; true on success.
@discardableResult
func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { return false }
    defer { _ = close(descriptor) }
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { buffer in
            write(descriptor, buffer.baseAddress, buffer.count)
        }
        if written < 0 {
            if errno == EINTR { continue }
            return false
        }
        offset += written
    }
    return true
}

/// Removes a file or an empty directory.
func removePath(_ path: String) {
    _ = unlink(path)
    _ = rmdir(path)
}
