import ArgumentParser
import FoundationEssentials
import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// `lockorder sarif REPORTS.jsonl`: the JSON-lines reports (LOCKORDER_REPORT_FILE) as SARIF
/// 2.1.0, for code scanning (GitHub's upload-sarif, IDE viewers).
struct SarifCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sarif",
        abstract: "Convert LOCKORDER_REPORT_FILE JSON lines to SARIF 2.1.0 on stdout.",
        discussion: """
            One result per distinct violation (the same kind, headline and site from several \
            runs or processes is one result, its count added up); the rule id is the violation \
            kind. The result's location is the first user frame when it was symbolized \
            (LOCKORDER_SYMBOLIZE, on by default), otherwise the offending call's site; related locations are \
            the lock sites and each cycle edge's sites. Summary lines are skipped. A line that \
            is not a report is one error line and exit status 2. See docs/report-format.md.
            """)

    @Argument(help: "JSON-lines files written with LOCKORDER_REPORT_FILE.")
    var files: [String]

    @Option(
        name: .customLong("source-root"),
        help: "The checkout the URIs are relative to (default: the current directory).")
    var sourceRoot: String?

    func run() throws {
        var violations: [Violation] = []
        for file in files {
            do {
                violations += try ReportLines.read(path: file)
            } catch {
                StandardError.write("lockorder sarif: \(error.message)\n")
                throw ExitCode(2)
            }
        }
        let root = sourceRoot ?? currentDirectory()
        let log = SarifLog.make(from: ReportLines.distinct(violations), sourceRoot: root)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(log)
        print(String(decoding: data, as: UTF8.self))
    }

    private func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// Reading a JSON-lines report file.
enum ReportLines {
    static func read(path: String) throws(GraphFailure) -> [Violation] {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path: path, maximumSize: GraphInput.maximumFileSize)
        } catch {
            throw GraphFailure(message: "'\(path)': \(error.problem)")
        }
        var violations: [Violation] = []
        let decoder = JSONDecoder()
        for (number, line) in bytes.split(separator: UInt8(ascii: "\n")).enumerated() {
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            let data = Data(line)
            if let violation = try? decoder.decode(Violation.self, from: data) {
                violations.append(violation)
            } else if (try? decoder.decode(OtherLine.self, from: data)) != nil {
                continue
            } else {
                throw GraphFailure(
                    message:
                        "'\(path)' line \(number + 1) is not a lockorder report line (LOCKORDER_REPORT_FILE)")
            }
        }
        return violations
    }

    /// A summary line, a statistics line (LOCKORDER_STATS), or the line written when a report
    /// could not be encoded.
    private struct OtherLine: Decodable {
        let schema: Int
        let summary: SummaryShape?
        let error: String?

        struct SummaryShape: Decodable {
            let distinct: Int
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            schema = try container.decode(Int.self, forKey: .schema)
            summary = try container.decodeIfPresent(SummaryShape.self, forKey: .summary)
            error = try container.decodeIfPresent(String.self, forKey: .error)
            guard summary != nil || error != nil || container.contains(.stats) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "neither"))
            }
        }

        enum Key: String, CodingKey { case schema, summary, error, stats }
    }

    /// One violation per (kind, headline, site), counts added up, in the order first seen.
    static func distinct(_ violations: [Violation]) -> [Violation] {
        struct Key: Hashable {
            let kind: ViolationKind
            let message: String
            let site: String
        }
        var index: [Key: Int] = [:]
        var result: [Violation] = []
        for violation in violations {
            let key = Key(kind: violation.kind, message: violation.message, site: violation.site)
            if let position = index[key] {
                result[position].count += violation.count
            } else {
                index[key] = result.count
                result.append(violation)
            }
        }
        return result
    }
}
