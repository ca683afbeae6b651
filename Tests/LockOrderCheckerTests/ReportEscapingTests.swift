import LockCore
import LockOrderTestSupport
import Testing

@testable import LockOrderChecker

/// Text from outside the checker never reaches stderr raw (docs/report-format.md, "Escaping"):
/// control characters are escaped, echoed values are capped, the JSON keeps the text as it is.
@Suite("Report escaping", .serialized)
struct ReportEscapingTests {
    @Test("control characters are escaped; printable text, backslashes and non-ASCII letters are kept")
    func escapesControlCharacters() {
        #expect(TerminalText.escaped("plain name") == "plain name")
        #expect(TerminalText.escaped("a\nb\rc\td") == #"a\nb\rc\td"#)
        #expect(TerminalText.escaped("\u{1B}[31mred\u{07}\u{00}\u{7F}") == #"\x1b[31mred\x07\x00\x7f"#)
        #expect(TerminalText.escaped("c1\u{9B}x") == #"c1\u{9b}x"#)
        #expect(TerminalText.escaped(#"C:\path é"#) == #"C:\path é"#)
        #expect(TerminalText.line("value\u{1B}\n") == "value\\x1b\n")
    }

    @Test("an echoed value is cut after the limit, saying how much was left out")
    func capsEchoedValues() {
        let long = String(repeating: "x", count: TerminalText.valueLimit + 44)
        #expect(
            TerminalText.value(long)
                == String(repeating: "x", count: TerminalText.valueLimit) + "... (44 more characters)")
        #expect(TerminalText.value("short") == "short")
    }

    @Test("an unknown LOCKORDER_CHECK value with a newline and 1,000 characters: one escaped, capped line")
    func unknownCheckValueIsOneLine() throws {
        let value = "x\nlockorder: forged" + String(repeating: "y", count: 1000)
        let warning = try #require(Configuration.mode(fromCheckValue: value).warning)
        let printed = TerminalText.line(warning)
        #expect(printed.split(separator: "\n").count == 1)
        #expect(printed.hasPrefix(#"lockorder: LOCKORDER_CHECK=x\nlockorder: forgedyyy"#))
        #expect(printed.contains("... (763 more characters) is not one of"))
    }

    @Test("a lock name with a newline and ESC forges no headline on stderr; the JSON keeps the name")
    func lockNameCannotForgeReportLines() throws {
        let name = "evil\nlockorder: forged report\u{1B}[2J\u{07}"
        var violations: [Violation] = []
        let standardError = capturingStandardError {
            violations = LockOrder.withChecking(printsReports: true) {
                let lock = CheckedMutex(name)
                lock.unlock()
            }
        }
        let violation = try #require(violations.first)
        #expect(violation.lock?.name == name, "the report's fields keep the name as it is")
        let headlines = standardError.split(separator: "\n").filter { $0.hasPrefix("lockorder:") }
        #expect(
            headlines == [
                #"lockorder: unlock not held: releasing evil\nlockorder: forged report\x1b[2J\x07, which this thread does not hold"#
            ])
        #expect(!standardError.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(!violation.text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" })
    }

    @Test("a lock name without control characters is printed exactly as given")
    func plainNamesAreUnchanged() throws {
        let violations = LockOrder.withChecking {
            let lock = CheckedMutex(#"cache\shard é"#)
            lock.unlock()
        }
        let violation = try #require(violations.first)
        #expect(
            reportLines(violation).first
                == #"lockorder: unlock not held: releasing cache\shard é, which this thread does not hold"#)
    }
}
