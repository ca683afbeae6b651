/// Makes text from outside the checker (lock names, thread names, `LOCKORDER_*` values, file
/// contents, paths) safe to put in one stderr line: no control character reaches the terminal,
/// so a name cannot forge a `lockorder:` line, move the cursor or ring the bell
/// (docs/report-format.md, "Escaping").
///
/// The JSON-lines file keeps the text as it is: JSON escapes control characters itself.
package enum TerminalText {
    /// How many characters of an echoed value (a `LOCKORDER_*` variable, a path, an excerpt of a
    /// file) a line shows; the rest is counted, not shown.
    package static let valueLimit = 256

    /// `text` with every control character escaped: `\n`, `\r`, `\t` by name, any other C0
    /// character and DEL as `\xHH`, C1 characters (U+0080 to U+009F) as `\u{HH}`. Everything
    /// else, backslashes included, is kept as it is.
    package static func escaped(_ text: Substring) -> String {
        // The common case, no control character, returns the text unchanged.
        guard text.unicodeScalars.contains(where: isControl) else { return String(text) }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard isControl(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                let digits = hex(scalar.value)
                result += scalar.value < 0x80 ? "\\x\(digits)" : "\\u{\(digits)}"
            }
        }
        return result
    }

    /// `text` escaped as by `escaped`.
    package static func escaped(_ text: String) -> String {
        escaped(text[...])
    }

    /// An echoed value: escaped, and cut after `limit` characters with a note of how many
    /// more there were.
    package static func value(_ text: String, limit: Int = valueLimit) -> String {
        var count = 0
        var end = text.startIndex
        while end < text.endIndex && count < limit {
            end = text.index(after: end)
            count += 1
        }
        guard end < text.endIndex else { return escaped(text) }
        let rest = text[end...].count
        return escaped(text[..<end]) + "... (\(rest) more characters)"
    }

    /// One stderr line: `text` without its final newline escaped whole (a newline inside it
    /// shows as `\n`), then the newline.
    package static func line(_ text: String) -> String {
        let body = text.hasSuffix("\n") ? text.dropLast() : text[...]
        return escaped(body) + "\n"
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F)
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: false)
        return digits.count < 2 ? "0" + digits : digits
    }
}
