#if canImport(Glibc)
    import Glibc
#endif

/// Runs `body` with file descriptor 2 pointed at a temporary file and returns what was
/// written to it. A file, not a pipe: a pipe blocks its writer past 64 KiB. fd 2 is
/// process-wide, so tests that capture it run serially (the suite runs with --no-parallel).
public func capturingStandardError(_ body: () throws -> Void) rethrows -> String {
    var template = Array("/tmp/lockorder-stderr-XXXXXX".utf8CString)
    let file = mkstemp(&template)
    precondition(file >= 0, "mkstemp failed")
    unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    let saved = dup(2)
    dup2(file, 2)
    defer {
        dup2(saved, 2)
        close(saved)
        close(file)
    }
    try body()
    return readWhole(file)
}

/// The package's root folder, found from this file's path.
public func packageRoot(_ file: String = #filePath) -> String {
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    while let last = parts.last, last != "Tests" { parts.removeLast() }
    parts.removeLast()
    return parts.joined(separator: "/")
}
