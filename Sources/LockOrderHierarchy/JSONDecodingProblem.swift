/// A `DecodingError` as lockorder prints it: where (a key path such as `locks[2].level`, or
/// "line L, column C" for malformed JSON) and what, each on one line. The one formatter for every
/// JSON input lockorder reads: hierarchy files here, graph files in the `lockorder` tool.
package struct JSONDecodingProblem: Sendable, Equatable {
    /// Where the problem is; empty when it concerns the whole input.
    package let location: String
    /// What is wrong, in words.
    package let problem: String

    package init(location: String, problem: String) {
        self.location = HierarchyError.oneLine(location)
        self.problem = HierarchyError.oneLine(problem)
    }

    /// The problem a decoder error describes.
    package init(_ error: DecodingError) {
        switch error {
        case .typeMismatch(let type, let context):
            var problem = "expected \(Self.typeWords(type))"
            if let found = Self.foundWords(context.debugDescription) {
                problem += ", found \(found)"
            }
            self.init(location: JSONFailure.path(context.codingPath), problem: problem)
        case .valueNotFound(let type, let context):
            self.init(
                location: JSONFailure.path(context.codingPath),
                problem: "expected \(Self.typeWords(type)), found null")
        case .keyNotFound(let key, let context):
            self.init(
                location: JSONFailure.path(context.codingPath + [key]),
                problem: "missing required key '\(key.stringValue)'")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                var text = context.debugDescription
                if let underlying = context.underlyingError {
                    text += " \(underlying)"
                }
                self = Self.malformedJSON(decoderText: text)
            } else {
                self.init(location: JSONFailure.path(context.codingPath), problem: context.debugDescription)
            }
        @unknown default:
            self.init(location: "", problem: "\(error)")
        }
    }

    /// The problem and its location as one phrase: `LOCATION: PROBLEM`, or `PROBLEM`.
    package var phrase: String {
        location.isEmpty ? problem : "\(location): \(problem)"
    }

    /// Malformed JSON. When the decoder's text carries a position
    /// ("... line 4, column 9 ...") it becomes the location.
    static func malformedJSON(decoderText: String) -> JSONDecodingProblem {
        let text = HierarchyError.oneLine(decoderText)
        let location = lineAndColumn(in: text).map { "line \($0.line), column \($0.column)" } ?? ""
        return JSONDecodingProblem(location: location, problem: "malformed JSON: \(text)")
    }

    /// The first "line L, column C" in a text.
    static func lineAndColumn(in text: String) -> (line: Int, column: Int)? {
        var rest = Substring(text)
        while let lineRange = rest.firstRange(of: "line ") {
            rest = rest[lineRange.upperBound...]
            let line = rest.prefix { $0.isASCII && $0.isNumber }
            guard let lineNumber = Int(line) else { continue }
            let afterLine = rest[line.endIndex...]
            guard afterLine.hasPrefix(", column ") else { continue }
            let columnText = afterLine.dropFirst(", column ".count).prefix { $0.isASCII && $0.isNumber }
            guard let column = Int(columnText) else { continue }
            return (lineNumber, column)
        }
        return nil
    }

    /// "an integer", "a string", "an object", ... for a decoded type.
    static func typeWords(_ type: Any.Type) -> String {
        let name = String(describing: type)
        switch name {
        case "Int": return "an integer"
        case "String": return "a string"
        case "Double": return "a number"
        case "Bool": return "a boolean"
        default:
            if name.hasPrefix("Dictionary") { return "an object" }
            if name.hasPrefix("Array") { return "an array" }
            return name
        }
    }

    /// What the decoder found instead, from its text
    /// "Expected to decode Int but found a string instead.".
    static func foundWords(_ debugDescription: String) -> String? {
        guard let start = debugDescription.firstRange(of: "but found ") else { return nil }
        var found = debugDescription[start.upperBound...]
        if let end = found.firstRange(of: " instead") {
            found = found[..<end.lowerBound]
        }
        switch found {
        case "a dictionary", "dictionary": return "an object"
        case "number": return "a number"
        case "bool", "a bool": return "a boolean"
        case "": return nil
        default: return String(found)
        }
    }
}

extension HierarchyError {
    /// A decoder error in a hierarchy from `source`.
    init(decoding error: DecodingError, source: String) {
        let problem = JSONDecodingProblem(error)
        self.init(source: source, location: problem.location, problem: problem.problem)
    }

    /// Malformed JSON in a hierarchy from `source`, located when the decoder's text says where.
    static func malformedJSON(decoderText: String, source: String) -> HierarchyError {
        let problem = JSONDecodingProblem.malformedJSON(decoderText: decoderText)
        return HierarchyError(source: source, location: problem.location, problem: problem.problem)
    }
}
