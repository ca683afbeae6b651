import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension LockHierarchy {
    /// Files larger than this are refused rather than read.
    public static let maximumFileSize = 16 * 1024 * 1024

    /// Reads a JSON hierarchy file with POSIX calls, decodes and validates it.
    /// Errors name `path` as their source.
    public static func load(path: String) throws(HierarchyError) -> LockHierarchy {
        let bytes = try readFile(path: path)
        return try decode(json: bytes, source: path)
    }

    /// Decodes and validates a JSON hierarchy; errors name `source`.
    public static func decode(json: [UInt8], source: String) throws(HierarchyError) -> LockHierarchy {
        try decode(json: Data(json), source: source)
    }

    /// Decodes and validates a JSON hierarchy; errors name `source`.
    public static func decode(json: Data, source: String) throws(HierarchyError) -> LockHierarchy {
        let file: HierarchyFile
        do {
            file = try JSONDecoder().decode(HierarchyFile.self, from: json)
        } catch let failure as JSONFailure {
            throw HierarchyError(source: source, location: failure.location, problem: failure.problem)
        } catch let error as DecodingError {
            throw HierarchyError(decoding: error, source: source)
        } catch {
            throw HierarchyError(source: source, location: "", problem: "cannot decode: \(error)")
        }
        return try file.hierarchy(source: source)
    }

    /// The hierarchy as JSON (pretty printed, keys sorted, empty optional
    /// lists left out) that ``decode(json:source:)-(Data,_)`` reads back equal.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Only strings, integers, arrays and objects are encoded, which cannot fail.
        return (try? encoder.encode(HierarchyFile(self))) ?? Data()
    }

    /// The whole file, read with open/read/close.
    static func readFile(path: String) throws(HierarchyError) -> [UInt8] {
        func failure(_ problem: String) -> HierarchyError {
            HierarchyError(source: path, location: "", problem: problem)
        }
        if path.utf8.contains(0) {
            throw failure("cannot open file: the path contains a NUL byte")
        }
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
        } while descriptor < 0 && errno == EINTR
        if descriptor < 0 {
            throw failure("cannot open file: \(errorText(errno))")
        }
        defer { _ = close(descriptor) }

        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw failure("cannot read file: \(errorText(code))")
            }
            if count == 0 { break }
            contents.append(contentsOf: chunk[0..<count])
            if contents.count > maximumFileSize {
                throw failure("file is larger than \(maximumFileSize) bytes")
            }
        }
        return contents
    }

    /// strerror's text for an errno value.
    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
