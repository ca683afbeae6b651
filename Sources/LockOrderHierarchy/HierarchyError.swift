/// A problem with a lock hierarchy: a file that cannot be read, malformed JSON,
/// or a declaration that breaks one of the validation rules.
///
/// All three fields are single lines: any line break in the text given to the
/// initializer is replaced with a space.
public struct HierarchyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The source the hierarchy came from: a file path, or `"<swift>"` for
    /// hierarchies built in Swift.
    public let source: String
    /// Where in the source the problem is: a key path such as `locks[3].level`,
    /// `"line 4, column 9"` for malformed JSON when the decoder reports a
    /// position, or `""` when the problem concerns the whole source.
    public let location: String
    /// What is wrong, in words.
    public let problem: String

    /// The source name used for hierarchies built with the Swift initializer.
    public static let swiftSource = "<swift>"

    /// An error found in `source` at `location`.
    public init(source: String, location: String, problem: String) {
        self.source = HierarchyError.oneLine(source)
        self.location = HierarchyError.trimmed(HierarchyError.oneLine(location))
        self.problem = HierarchyError.trimmed(HierarchyError.oneLine(problem))
    }

    /// `lockorder: hierarchy 'SOURCE': LOCATION: PROBLEM`, without the
    /// `LOCATION: ` part when the location is empty.
    public var description: String {
        if location.isEmpty {
            return "lockorder: hierarchy '\(source)': \(problem)"
        }
        return "lockorder: hierarchy '\(source)': \(location): \(problem)"
    }

    /// Replaces every line break (LF, CR, CRLF and the other Unicode line
    /// separators) with a single space.
    static func oneLine(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            // A CRLF pair is a single Character, so it becomes one space.
            if character.isNewline {
                result.append(" ")
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// Without leading and trailing whitespace.
    static func trimmed(_ text: String) -> String {
        var result = Substring(text)
        while let first = result.first, first.isWhitespace { result.removeFirst() }
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return String(result)
    }
}
