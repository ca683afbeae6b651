extension HierarchyError {
    /// Turns a decoder error into a one-line error with a key path.
    init(decoding error: DecodingError, source: String) {
        switch error {
        case .typeMismatch(let type, let context):
            var problem = "expected \(HierarchyError.typeWords(type))"
            if let found = HierarchyError.foundWords(context.debugDescription) {
                problem += ", found \(found)"
            }
            self.init(source: source, location: JSONFailure.path(context.codingPath), problem: problem)
        case .valueNotFound(let type, let context):
            self.init(
                source: source, location: JSONFailure.path(context.codingPath),
                problem: "expected \(HierarchyError.typeWords(type)), found null")
        case .keyNotFound(let key, let context):
            self.init(
                source: source, location: JSONFailure.path(context.codingPath + [key]),
                problem: "missing required key '\(key.stringValue)'")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                var text = context.debugDescription
                if let underlying = context.underlyingError {
                    text += " \(underlying)"
                }
                self = HierarchyError.malformedJSON(decoderText: text, source: source)
            } else {
                self.init(
                    source: source, location: JSONFailure.path(context.codingPath),
                    problem: context.debugDescription)
            }
        @unknown default:
            self.init(source: source, location: "", problem: "\(error)")
        }
    }

    /// Malformed JSON. When the decoder's text carries a position
    /// ("... line 4, column 9 ...") it becomes the location.
    static func malformedJSON(decoderText: String, source: String) -> HierarchyError {
        let text = oneLine(decoderText)
        let location = lineAndColumn(in: text).map { "line \($0.line), column \($0.column)" } ?? ""
        return HierarchyError(source: source, location: location, problem: "malformed JSON: \(text)")
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
