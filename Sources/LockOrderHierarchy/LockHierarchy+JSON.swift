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

    /// The whole file (``FileContents``), its failures as hierarchy errors.
    static func readFile(path: String) throws(HierarchyError) -> [UInt8] {
        do {
            return try FileContents.read(path: path, maximumSize: maximumFileSize)
        } catch {
            throw HierarchyError(source: path, location: "", problem: error.problem)
        }
    }
}
