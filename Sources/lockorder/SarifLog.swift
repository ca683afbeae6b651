import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// The parts of SARIF 2.1.0 that lockorder writes (names as the specification spells them).
struct SarifLog: Encodable {
    static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

    let schema = SarifLog.schemaURI
    let version = "2.1.0"
    let runs: [Run]

    enum CodingKeys: String, CodingKey {
        case schema = "$schema"
        case version, runs
    }

    struct Run: Encodable {
        let tool: Tool
        let originalUriBaseIds: [String: ArtifactLocation]
        let results: [Result]
    }

    struct Tool: Encodable {
        let driver: Driver
    }

    struct Driver: Encodable {
        let name = "lockorder"
        let rules: [Rule]
    }

    struct Rule: Encodable {
        let id: String
        let name: String
        let shortDescription: Message
        let defaultConfiguration: Configuration
    }

    struct Configuration: Encodable {
        let level: String
    }

    struct Message: Encodable {
        let text: String
    }

    struct Result: Encodable {
        let ruleId: String
        let ruleIndex: Int
        let level: String
        let message: Message
        let locations: [Location]
        let relatedLocations: [Location]
        let partialFingerprints: [String: String]
        let properties: Properties
    }

    struct Properties: Encodable {
        let count: Int
        let thread: String
        let hint: String
    }

    struct Location: Encodable {
        let id: Int?
        let physicalLocation: PhysicalLocation
        let message: Message?
    }

    struct PhysicalLocation: Encodable {
        let artifactLocation: ArtifactLocation
        let region: Region
    }

    struct ArtifactLocation: Encodable {
        let uri: String
        let uriBaseId: String?
    }

    struct Region: Encodable {
        let startLine: Int
        let startColumn: Int?
    }

    /// The SARIF log of `violations` (already distinct).
    static func make(from violations: [Violation], sourceRoot: String) -> SarifLog {
        let kinds = ViolationKind.allCases
        let rules = kinds.map { kind in
            Rule(
                id: kind.rawValue, name: ruleName(kind), shortDescription: Message(text: ruleText(kind)),
                defaultConfiguration: Configuration(level: "error"))
        }
        let locator = SarifSourceLocator(root: sourceRoot)
        let results = violations.map { violation in
            var related: [Location] = []
            func relate(_ site: String?, _ text: String) {
                guard let site, let place = locator.place(site: site) else { return }
                related.append(
                    Location(id: related.count + 1, physicalLocation: place, message: Message(text: text)))
            }
            if let lock = violation.lock { relate(lock.site, "\(lock.name) is acquired here") }
            for held in violation.held { relate(held.site, "\(held.name) was acquired here and is held") }
            for edge in violation.cycle ?? [] {
                // The locks as the program names them (an edge among locks of one class has one class).
                let (from, to) = (edge.fromLock ?? edge.from, edge.toLock ?? edge.to)
                relate(edge.heldAt, "\(from) held here (edge \(from) -> \(to), \(edge.thread))")
                relate(edge.acquiredAt, "\(to) acquired here while holding \(from)")
            }
            let primary =
                violation.frames.lazy.compactMap { $0.sourceLocation.flatMap(locator.place(symbolized:)) }
                .first
                ?? locator.place(site: violation.site)
            let locations = primary.map { [Location(id: nil, physicalLocation: $0, message: nil)] } ?? []
            return Result(
                ruleId: violation.kind.rawValue, ruleIndex: kinds.firstIndex(of: violation.kind) ?? 0,
                level: "error",
                message: Message(text: violation.message + ". " + violation.hint), locations: locations,
                relatedLocations: related,
                partialFingerprints: ["lockorder/v1": fingerprint(violation)],
                properties: Properties(count: violation.count, thread: violation.thread, hint: violation.hint)
            )
        }
        return SarifLog(
            runs: [
                Run(
                    tool: Tool(driver: Driver(rules: rules)),
                    originalUriBaseIds: [
                        "SRCROOT": ArtifactLocation(uri: fileURI(directory: sourceRoot), uriBaseId: nil)
                    ],
                    results: results)
            ])
    }

    /// Stable across runs: the kind, headline and site (no ids, threads or addresses).
    private static func fingerprint(_ violation: Violation) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(violation.kind.rawValue)|\(violation.message)|\(violation.site)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    private static func ruleName(_ kind: ViolationKind) -> String {
        kind.rawValue.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Each rule in one sentence; a kind added later without a sentence here gets its words.
    private static func ruleText(_ kind: ViolationKind) -> String {
        ruleSentences[kind] ?? "lockorder rule: \(kind.description)."
    }

    private static let ruleSentences: [ViolationKind: String] = [
        .levelInversion: "A lock of a higher level was acquired while a lower level was held.",
        .sameLevel: "A lock of the same level as a held one was acquired and no exception allowed it.",
        .instanceOrder: "Instance-ordered locks were acquired out of their order keys.",
        .forbiddenOperation: "An operation the hierarchy forbids was performed while a lock was held.",
        .selfDeadlock: "A thread tried to take a lock it already holds in a way that cannot succeed.",
        .unlockNotHeld: "A thread released a lock nobody holds.",
        .unlockNotOwner: "A thread released a lock that another thread holds.",
        .destroyedWhileHeld: "A lock was destroyed while a thread held it.",
        .heldAtExit: "A thread ended while holding locks.",
        .orderCycle: "An acquisition closed a cycle in the learned lock order: a potential deadlock.",
        .ownershipAssertion: "assertHeld or assertNotHeld found the lock held otherwise than asserted.",
        .containerLocked: "A checked container was modified while an iteration or lookup locked it.",
        .contextLocked: "A checked context was restarted while locked.",
    ]

    /// `file:///path/` for a directory.
    private static func fileURI(directory: String) -> String {
        "file://" + percentEncoded(directory.hasSuffix("/") ? directory : directory + "/")
    }

    static func percentEncoded(_ path: String) -> String {
        var result = ""
        for byte in path.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80,
                scalar.properties.isAlphabetic || ("0"..."9").contains(Character(scalar))
                    || "/-._~".unicodeScalars.contains(scalar)
            {
                result.unicodeScalars.append(scalar)
            } else {
                result += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return result
    }
}

/// Turns the sites of a report into SARIF locations relative to the checkout.
struct SarifSourceLocator {
    let root: String

    /// `Module/File.swift:line`: the file is looked for as `Sources/Module/File.swift` and
    /// `Tests/Module/File.swift` under the root; when neither exists the file ID is the URI.
    func place(site: String) -> SarifLog.PhysicalLocation? {
        guard let colon = site.lastIndex(of: ":"), let line = Int(site[site.index(after: colon)...]), line > 0
        else { return nil }
        let fileID = String(site[..<colon])
        guard !fileID.isEmpty else { return nil }
        var uri = fileID
        for folder in ["Sources", "Tests"] where access("\(root)/\(folder)/\(fileID)", F_OK) == 0 {
            uri = "\(folder)/\(fileID)"
            break
        }
        return location(uri: uri, line: line, column: nil)
    }

    /// `/abs/path/File.swift:line:column` from the symbolizer; outside the root it is not a
    /// place in the checkout (a system library), so nil.
    func place(symbolized: String) -> SarifLog.PhysicalLocation? {
        let parts = symbolized.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        let hasColumn =
            parts.count >= 3 && Int(parts[parts.count - 1]) != nil && Int(parts[parts.count - 2]) != nil
        let lineIndex = hasColumn ? parts.count - 2 : parts.count - 1
        guard let line = Int(parts[lineIndex]), line > 0 else { return nil }
        let path = parts[..<lineIndex].joined(separator: ":")
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard path.hasPrefix(prefix) else { return nil }
        return location(
            uri: String(path.dropFirst(prefix.count)), line: line,
            column: hasColumn ? Int(parts[parts.count - 1]) : nil)
    }

    private func location(uri: String, line: Int, column: Int?) -> SarifLog.PhysicalLocation {
        SarifLog.PhysicalLocation(
            artifactLocation: SarifLog.ArtifactLocation(
                uri: SarifLog.percentEncoded(uri), uriBaseId: "SRCROOT"),
            region: SarifLog.Region(startLine: line, startColumn: column))
    }
}
