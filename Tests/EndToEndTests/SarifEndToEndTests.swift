import Foundation
import LockOrderChecker
import LockOrderTestSupport
import Testing

/// `lockorder sarif` on the JSON lines of real runs, validated against the SARIF 2.1.0 schema
/// vendored in Tests/SarifSchema (with its provenance and licence) by `JSONSchemaValidator`;
/// `SarifShape` adds what the schema cannot say (ruleIndex pointing at the rule of ruleId,
/// declared uriBaseIds, unique location ids).
@Suite("lockorder sarif, end to end", .serialized)
struct SarifEndToEndTests {
    static let tool = lockorderBinary()
    /// The package root, which holds Sources/lockorder/DemoScenarios.swift.
    static let packageRoot = String(
        #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3)
            .joined(separator: "/"))

    /// Runs the demo `times` times into one report file and converts it.
    static func demoSarif(in directory: String, times: Int, symbolize: Bool = false) throws -> (
        log: [String: Any], lines: [Violation]
    ) {
        let reports = directory + "/reports.jsonl"
        for _ in 0..<times {
            var environment = ["LOCKORDER_CHECK": "1", "LOCKORDER_REPORT_FILE": reports]
            environment["LOCKORDER_SYMBOLIZE"] = symbolize ? "1" : "0"
            let demo = runChildProcess(tool, arguments: ["demo"], environment: environment)
            try #require(demo.status == 0)
        }
        let result = runChildProcess(tool, arguments: ["sarif", "--source-root", packageRoot, reports])
        try #require(result.status == 0, "\(result.standardError)")
        let schemaErrors = try schemaValidator().errors(
            in: JSONValue.parse(Array(result.standardOutput.utf8)))
        #expect(schemaErrors.isEmpty, "SARIF 2.1.0 schema: \(schemaErrors.prefix(10))")
        let log = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let lines = String(decoding: readFileBytes(reports) ?? [], as: UTF8.self).split(separator: "\n")
            .compactMap { try? JSONDecoder().decode(Violation.self, from: Data($0.utf8)) }
        return (log, lines)
    }

    @Test("Two demo runs in one file: valid SARIF 2.1.0, one result per distinct violation, every field")
    func demoReports() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let (log, lines) = try Self.demoSarif(in: directory, times: 2)
        try SarifShape.validate(log)

        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let results = try #require(run["results"] as? [[String: Any]])
        let firstRun = lines.prefix(lines.count / 2)
        // The demo's scenarios (lock order and containers) each report one distinct violation.
        #expect(lines.count >= 8 && lines.count % 2 == 0, "two runs of the same scenarios")
        #expect(results.count == firstRun.count, "each violation of the two runs is one result")
        let rules = try #require(
            ((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String } == ViolationKind.allCases.map(\.rawValue))

        for (violation, result) in zip(firstRun, results) {
            #expect(result["ruleId"] as? String == violation.kind.rawValue)
            #expect(
                (result["message"] as? [String: Any])?["text"] as? String == violation.message + ". "
                    + violation.hint)
            #expect((result["properties"] as? [String: Any])?["count"] as? Int == 2)
            // The location: the offending call's site, found under Sources/.
            let location = try #require((result["locations"] as? [[String: Any]])?.first)
            let (uri, line) = try SarifShape.place(location)
            let siteLine = Int(violation.site.split(separator: ":").last!)!
            #expect(uri == "Sources/" + violation.site.split(separator: ":").first!)
            #expect(line == siteLine)
            // Related: the lock's site, each held lock's site, each cycle edge's two sites.
            let related = try #require(result["relatedLocations"] as? [[String: Any]])
            var expected: [(String, Int)] = []
            func add(_ site: String?) {
                guard let site, let colon = site.lastIndex(of: ":") else { return }
                expected.append(("Sources/" + site[..<colon], Int(site[site.index(after: colon)...])!))
            }
            add(violation.lock?.site)
            for held in violation.held { add(held.site) }
            for edge in violation.cycle ?? [] {
                add(edge.heldAt)
                add(edge.acquiredAt)
            }
            let places = try related.map(SarifShape.place)
            #expect(places.map(\.uri) == expected.map(\.0))
            #expect(places.map(\.line) == expected.map(\.1))
            if violation.kind == .orderCycle {
                #expect(related.count >= 2 * (violation.cycle?.count ?? 0))
                #expect(violation.cycle?.count == 2)
            }
        }
        #expect(results.contains { $0["ruleId"] as? String == "order_cycle" })
    }

    @Test(
        "With LOCKORDER_SYMBOLIZE=1 the location is the first user frame, with its column",
        .enabled(if: executableOnPath("llvm-symbolizer") != nil))
    func symbolizedFrame() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let (log, lines) = try Self.demoSarif(in: directory, times: 1, symbolize: true)
        try SarifShape.validate(log)
        let results = try #require(((log["runs"] as? [[String: Any]])?.first?["results"]) as? [[String: Any]])
        #expect(results.count == lines.count)
        for result in results {
            let location = try #require((result["locations"] as? [[String: Any]])?.first)
            let (uri, _) = try SarifShape.place(location)
            #expect(
                ["Sources/lockorder/DemoScenarios.swift", "Sources/lockorder/ContainerDemoScenarios.swift"]
                    .contains(uri), "\(uri)")
            let region = (location["physicalLocation"] as? [String: Any])?["region"] as? [String: Any]
            #expect((region?["startColumn"] as? Int ?? 0) >= 1)
        }
    }

    /// A validator for the vendored SARIF 2.1.0 schema.
    static func schemaValidator() throws -> JSONSchemaValidator {
        let path = packageRoot + "/Tests/SarifSchema/sarif-schema-2.1.0.json"
        let bytes = try #require(FileManager.default.contents(atPath: path), "no schema at \(path)")
        return JSONSchemaValidator(root: try JSONValue.parse(Array(bytes)))
    }

    @Test("The validator knows every keyword the vendored schema uses")
    func validatorCoversTheSchema() throws {
        let schema = try Self.schemaValidator().root
        var unknown = Set<String>()
        func walk(_ node: JSONValue, keysAreNames: Bool) {
            switch node {
            case .object(let members):
                for (key, value) in members {
                    if !keysAreNames && !JSONSchemaValidator.known.contains(key)
                        && !JSONSchemaValidator.annotations.contains(key)
                    {
                        unknown.insert(key)
                    }
                    let namesBelow = !keysAreNames && (key == "properties" || key == "definitions")
                    walk(value, keysAreNames: namesBelow)
                }
            case .array(let items): for item in items { walk(item, keysAreNames: false) }
            default: break
            }
        }
        walk(schema, keysAreNames: false)
        #expect(unknown.isEmpty, "\(unknown.sorted())")
        #expect(
            schema["title"] == .string("Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"))
    }

    @Test("The schema refuses broken logs, each for its own reason")
    func schemaRefusesBrokenLogs() throws {
        let validator = try Self.schemaValidator()
        func errors(_ text: String) throws -> [String] {
            validator.errors(in: try JSONValue.parse(Array(text.utf8)))
        }
        let driver = #"{"name":"lockorder","rules":[{"id":"order_cycle"}]}"#
        func log(result: String) -> String {
            #"{"version":"2.1.0","runs":[{"tool":{"driver":\#(driver)},"results":[\#(result)]}]}"#
        }
        let good =
            #"{"ruleId":"order_cycle","ruleIndex":0,"level":"error","message":{"text":"m"},"#
            + #""locations":[{"physicalLocation":{"artifactLocation":{"uri":"Sources/A.swift"},"#
            + #""region":{"startLine":3}}}]}"#
        #expect(try errors(log(result: good)) == [])
        #expect(try errors(#"{"runs":[]}"#) == ["$: required property 'version' is missing"])
        #expect(
            try errors(#"{"version":"2.0.0","runs":[]}"#) == [
                #"$.version: "2.0.0" is not one of the allowed values"#
            ])
        let badLevel = good.replacingOccurrences(of: #""error""#, with: #""fatal""#)
        #expect(
            try errors(log(result: badLevel)) == [
                #"$.runs[0].results[0].level: "fatal" is not one of the allowed values"#
            ])
        let badLine = good.replacingOccurrences(of: #""startLine":3"#, with: #""startLine":0"#)
        #expect(
            try errors(log(result: badLine)) == [
                "$.runs[0].results[0].locations[0].physicalLocation.region.startLine: 0.0 is below the minimum 1.0"
            ])
        let extra = good.replacingOccurrences(of: #""ruleIndex":0"#, with: #""ruleIndex":0,"severity":1"#)
        #expect(
            try errors(log(result: extra)) == [
                "$.runs[0].results[0]: property 'severity' is not allowed here"
            ])
        let badIndex = good.replacingOccurrences(of: #""ruleIndex":0"#, with: #""ruleIndex":"0""#)
        #expect(
            try errors(log(result: badIndex)) == [
                "$.runs[0].results[0].ruleIndex: expected integer, found string"
            ])
        let noMessage = good.replacingOccurrences(of: #""message":{"text":"m"},"#, with: "")
        #expect(
            try errors(log(result: noMessage)) == [
                "$.runs[0].results[0]: required property 'message' is missing"
            ])
    }

    @Test("A line that is not a report: one line, exit status 2, nothing on stdout")
    func badLine() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        #expect(
            writeTextFile(directory + "/bad.jsonl", "{\"schema\":1,\"summary\":{\"distinct\":0}}\nnot json\n")
        )
        let result = runChildProcess(Self.tool, arguments: ["sarif", directory + "/bad.jsonl"])
        #expect(result.status == 2)
        #expect(result.standardOutput.isEmpty)
        #expect(
            result.standardError
                == "lockorder sarif: '\(directory)/bad.jsonl' line 2 is not a lockorder report line (LOCKORDER_REPORT_FILE)\n"
        )
    }
}

/// What the SARIF 2.1.0 schema requires of the objects lockorder writes (sarifLog, run, tool,
/// toolComponent, reportingDescriptor, result, location, physicalLocation, artifactLocation,
/// region, message), checked by hand: required properties, types, enumerations, minimums,
/// references (ruleIndex, uriBaseId), unique location ids, and no nulls anywhere.
enum SarifShape {
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func validate(_ log: [String: Any]) throws {
        try noNulls(log, at: "$")
        try require(log["version"] as? String == "2.1.0", "version must be \"2.1.0\"")
        try require((log["$schema"] as? String)?.hasPrefix("https://") == true, "$schema must be a URI")
        let runs = try array(log["runs"], "runs")
        try require(!runs.isEmpty, "runs must not be empty here")
        for run in runs {
            let driver = try object(try object(run["tool"], "run.tool")["driver"], "tool.driver")
            try require(driver["name"] is String, "driver.name is required")
            let rules = try array(driver["rules"] ?? [], "driver.rules")
            for rule in rules {
                try require(rule["id"] is String, "reportingDescriptor.id is required")
                try message(rule["shortDescription"], "rule.shortDescription")
                let level =
                    try object(rule["defaultConfiguration"], "rule.defaultConfiguration")["level"] as? String
                try require(level.map(levels.contains) ?? true, "defaultConfiguration.level")
            }
            let baseIDs = try object(run["originalUriBaseIds"] ?? [String: Any](), "originalUriBaseIds")
            for (_, value) in baseIDs {
                let uri = try object(value, "originalUriBaseIds value")["uri"] as? String
                try require(uri?.hasPrefix("file:///") == true && uri?.hasSuffix("/") == true, "base URI")
            }
            for result in try array(run["results"], "run.results") {
                try message(result["message"], "result.message")
                let ruleID = try require(result["ruleId"] as? String, "result.ruleId")
                let ruleIndex = try require(result["ruleIndex"] as? Int, "result.ruleIndex")
                try require(ruleIndex >= 0 && ruleIndex < rules.count, "ruleIndex in range")
                try require(rules[ruleIndex]["id"] as? String == ruleID, "rules[ruleIndex].id == ruleId")
                try require(levels.contains(result["level"] as? String ?? "warning"), "result.level")
                let locations = try array(result["locations"], "result.locations")
                try require(locations.count == 1, "one location")
                var ids = Set<Int>()
                for location in locations + (try array(result["relatedLocations"] ?? [], "relatedLocations"))
                {
                    if let id = location["id"] {
                        let number = try require(id as? Int, "location.id is an integer")
                        try require(number >= -1 && ids.insert(number).inserted, "location ids unique, >= -1")
                    }
                    if location["message"] != nil { try message(location["message"], "location.message") }
                    let physical = try object(location["physicalLocation"], "location.physicalLocation")
                    let artifact = try object(
                        physical["artifactLocation"], "physicalLocation.artifactLocation")
                    let uri = try require(artifact["uri"] as? String, "artifactLocation.uri")
                    try require(!uri.isEmpty && !uri.contains(" "), "uri is a URI reference")
                    if let base = artifact["uriBaseId"] {
                        try require(
                            (base as? String).map { baseIDs[$0] != nil } == true, "uriBaseId is declared")
                    }
                    let region = try object(physical["region"], "physicalLocation.region")
                    try require((region["startLine"] as? Int ?? 0) >= 1, "region.startLine >= 1")
                    if let column = region["startColumn"] {
                        try require((column as? Int ?? 0) >= 1, "startColumn")
                    }
                }
                let fingerprints = try object(
                    result["partialFingerprints"] ?? [String: Any](), "partialFingerprints")
                try require(fingerprints.values.allSatisfy { $0 is String }, "fingerprints are strings")
                _ = try object(result["properties"] ?? [String: Any](), "result.properties")
            }
        }
    }

    /// A location's URI and start line.
    static func place(_ location: [String: Any]) throws -> (uri: String, line: Int) {
        let physical = try object(location["physicalLocation"], "physicalLocation")
        let uri = try require(
            try object(physical["artifactLocation"], "artifactLocation")["uri"] as? String, "uri")
        let line = try require(try object(physical["region"], "region")["startLine"] as? Int, "startLine")
        return (uri, line)
    }

    private static let levels: Set<String> = ["none", "note", "warning", "error"]

    private static func noNulls(_ value: Any, at path: String) throws {
        if value is NSNull { throw Invalid(description: "null at \(path)") }
        if let dictionary = value as? [String: Any] {
            for (key, item) in dictionary { try noNulls(item, at: path + "." + key) }
        } else if let list = value as? [Any] {
            for (index, item) in list.enumerated() { try noNulls(item, at: "\(path)[\(index)]") }
        }
    }

    private static func message(_ value: Any?, _ what: String) throws {
        let text = try object(value, what)["text"] as? String
        try require(text.map { !$0.isEmpty } == true, "\(what).text is required")
    }

    private static func object(_ value: Any?, _ what: String) throws -> [String: Any] {
        try require(value as? [String: Any], "\(what) must be an object")
    }

    private static func array(_ value: Any?, _ what: String) throws -> [[String: Any]] {
        try require(value as? [[String: Any]], "\(what) must be an array of objects")
    }

    @discardableResult
    private static func require<Value>(_ value: Value?, _ what: String) throws -> Value {
        guard let value else { throw Invalid(description: what) }
        return value
    }

    private static func require(_ condition: Bool, _ what: String) throws {
        if !condition { throw Invalid(description: what) }
    }
}
