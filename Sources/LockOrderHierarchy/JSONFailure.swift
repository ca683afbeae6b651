/// A validation failure found while decoding a hierarchy file, thrown from
/// `init(from:)` implementations and turned into a ``HierarchyError`` by
/// ``LockHierarchy/decode(json:source:)-(Data,_)``.
struct JSONFailure: Error {
    let location: String
    let problem: String

    init(location: String, problem: String) {
        self.location = location
        self.problem = problem
    }

    init(codingPath: [any CodingKey], problem: String) {
        self.init(location: JSONFailure.path(codingPath), problem: problem)
    }

    /// `locks[2].level` for the coding path locks / Index 2 / level.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var result = ""
        for key in codingPath {
            if let index = key.intValue {
                result += "[\(index)]"
            } else {
                if !result.isEmpty { result += "." }
                result += key.stringValue
            }
        }
        return result
    }
}
