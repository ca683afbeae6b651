import Foundation

/// A JSON value as decoded for validation: booleans and numbers kept apart, integers kept exact.
indirect enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}

/// A validator for the part of JSON Schema draft-04 that the SARIF 2.1.0 schema uses: `type`
/// (one or a list), `properties`, `additionalProperties` (false or a schema), `required`,
/// `items`, `minItems`, `maxItems`, `uniqueItems`, `enum`, `minimum`, `maximum`, `pattern`,
/// `format` (`uri`, `uri-reference`, `date-time`), `anyOf`, `oneOf`, `allOf` and local `$ref`s
/// (`#/definitions/NAME`). A keyword it does not know makes it fail loudly, so that a schema
/// using more is never half checked.
struct JSONSchemaValidator {
    let root: JSONValue

    /// Keywords that carry no constraint.
    static let annotations: Set<String> = [
        "description", "default", "title", "id", "$schema", "definitions",
    ]
    static let known: Set<String> = [
        "type", "properties", "additionalProperties", "required", "items", "minItems", "maxItems",
        "uniqueItems", "enum", "minimum", "maximum", "pattern", "format", "anyOf", "oneOf", "allOf", "$ref",
    ]

    /// Every way `instance` breaks the schema, as `PATH: what`; empty when it is valid.
    func errors(in instance: JSONValue) -> [String] {
        var found: [String] = []
        check(instance, against: root, at: "$", into: &found)
        return found
    }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSONValue? = root
        for part in reference.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        return node
    }

    private func check(
        _ value: JSONValue, against schema: JSONValue, at path: String, into found: inout [String]
    ) {
        guard case .object(let keywords) = schema else {
            found.append("\(path): the schema here is not an object")
            return
        }
        for key in keywords.keys where !Self.known.contains(key) && !Self.annotations.contains(key) {
            found.append("\(path): schema keyword '\(key)' is not supported by this validator")
        }
        if case .string(let reference)? = keywords["$ref"] {
            guard let target = resolve(reference) else {
                found.append("\(path): unresolved $ref \(reference)")
                return
            }
            check(value, against: target, at: path, into: &found)
        }
        if let types = keywords["type"] {
            let names: [String]
            switch types {
            case .string(let name): names = [name]
            case .array(let list):
                names = list.compactMap { if case .string(let name) = $0 { name } else { nil } }
            default: names = []
            }
            if !names.contains(where: { Self.has(value, type: $0) }) {
                found.append(
                    "\(path): expected \(names.joined(separator: " or ")), found \(Self.typeName(value))")
                return
            }
        }
        if case .array(let allowed)? = keywords["enum"], !allowed.contains(value) {
            found.append("\(path): \(Self.shown(value)) is not one of the allowed values")
        }
        checkNumber(value, keywords, at: path, into: &found)
        checkString(value, keywords, at: path, into: &found)
        checkArray(value, keywords, at: path, into: &found)
        checkObject(value, keywords, at: path, into: &found)
        checkCombinations(value, keywords, at: path, into: &found)
    }

    private func checkNumber(
        _ value: JSONValue, _ keywords: [String: JSONValue], at path: String, into found: inout [String]
    ) {
        guard let number = Self.number(value) else { return }
        if let minimum = keywords["minimum"].flatMap(Self.number), number < minimum {
            found.append("\(path): \(Self.shown(value)) is below the minimum \(minimum)")
        }
        if let maximum = keywords["maximum"].flatMap(Self.number), number > maximum {
            found.append("\(path): \(Self.shown(value)) is above the maximum \(maximum)")
        }
    }

    private func checkString(
        _ value: JSONValue, _ keywords: [String: JSONValue], at path: String, into found: inout [String]
    ) {
        guard case .string(let text) = value else { return }
        if case .string(let pattern)? = keywords["pattern"] {
            // draft-04 patterns are unanchored: a match anywhere is enough.
            let expression = try? NSRegularExpression(pattern: pattern)
            let range = NSRange(text.startIndex..., in: text)
            if expression?.firstMatch(in: text, range: range) == nil {
                found.append("\(path): \(Self.shown(value)) does not match /\(pattern)/")
            }
        }
        if case .string(let format)? = keywords["format"], !Self.matches(text, format: format) {
            found.append("\(path): \(Self.shown(value)) is not a valid \(format)")
        }
    }

    private func checkArray(
        _ value: JSONValue, _ keywords: [String: JSONValue], at path: String, into found: inout [String]
    ) {
        guard case .array(let items) = value else { return }
        if let minimum = keywords["minItems"].flatMap(Self.number), Double(items.count) < minimum {
            found.append("\(path): \(items.count) items, fewer than \(Int(minimum))")
        }
        if let maximum = keywords["maxItems"].flatMap(Self.number), Double(items.count) > maximum {
            found.append("\(path): \(items.count) items, more than \(Int(maximum))")
        }
        if case .bool(true)? = keywords["uniqueItems"] {
            for index in items.indices where items[..<index].contains(items[index]) {
                found.append("\(path)[\(index)]: repeats an earlier item (uniqueItems)")
            }
        }
        if let itemSchema = keywords["items"] {
            for (index, item) in items.enumerated() {
                check(item, against: itemSchema, at: "\(path)[\(index)]", into: &found)
            }
        }
    }

    private func checkObject(
        _ value: JSONValue, _ keywords: [String: JSONValue], at path: String, into found: inout [String]
    ) {
        guard case .object(let members) = value else { return }
        if case .array(let required)? = keywords["required"] {
            for case .string(let name) in required where members[name] == nil {
                found.append("\(path): required property '\(name)' is missing")
            }
        }
        var declared: [String: JSONValue] = [:]
        if case .object(let properties)? = keywords["properties"] { declared = properties }
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            if let propertySchema = declared[name] {
                check(member, against: propertySchema, at: "\(path).\(name)", into: &found)
                continue
            }
            switch keywords["additionalProperties"] {
            case .bool(false)?: found.append("\(path): property '\(name)' is not allowed here")
            case let schema? where Self.typeName(schema) == "object":
                check(member, against: schema, at: "\(path).\(name)", into: &found)
            default: break
            }
        }
    }

    private func checkCombinations(
        _ value: JSONValue, _ keywords: [String: JSONValue], at path: String, into found: inout [String]
    ) {
        func passes(_ schema: JSONValue) -> Bool {
            var ignored: [String] = []
            check(value, against: schema, at: path, into: &ignored)
            return ignored.isEmpty
        }
        if case .array(let all)? = keywords["allOf"] {
            for schema in all { check(value, against: schema, at: path, into: &found) }
        }
        if case .array(let any)? = keywords["anyOf"], !any.contains(where: passes) {
            found.append("\(path): matches none of the anyOf schemas")
        }
        if case .array(let one)? = keywords["oneOf"] {
            let count = one.filter(passes).count
            if count != 1 { found.append("\(path): matches \(count) of the oneOf schemas, not exactly 1") }
        }
    }

    private static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object):
            true
        case ("integer", .integer), ("number", .integer), ("number", .number): true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let integer): Double(integer)
        case .number(let number): number
        default: nil
        }
    }

    private static func shown(_ value: JSONValue) -> String {
        if case .string(let text) = value { return "\"\(text)\"" }
        if let number = number(value) { return "\(number)" }
        return typeName(value)
    }

    /// The formats SARIF uses: an absolute URI (a scheme, then no spaces), a URI reference (no
    /// spaces or characters RFC 3986 never allows), an RFC 3339 date-time.
    static func matches(_ text: String, format: String) -> Bool {
        let forbidden = CharacterSet(charactersIn: " \"<>\\^`{|}").union(.controlCharacters)
        let clean = text.unicodeScalars.allSatisfy { !forbidden.contains($0) }
        switch format {
        case "uri":
            return clean && text.range(of: "^[A-Za-z][A-Za-z0-9+.-]*:", options: .regularExpression) != nil
        case "uri-reference":
            return clean
        case "date-time":
            let pattern = #"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"#
            return text.range(of: pattern, options: .regularExpression) != nil
        default:
            return true
        }
    }
}
