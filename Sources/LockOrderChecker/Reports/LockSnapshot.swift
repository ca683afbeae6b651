/// A lock as a report shows it: enough to find it in the source without a debugger.
public struct LockSnapshot: Sendable, Hashable, Codable {
    /// The lock's name.
    public let name: String
    /// The class the order rules are about: the declared name, or `File.swift:line` of the
    /// place the lock was created.
    public let className: String
    /// The declared level, nil when the class is not in the active hierarchy.
    public let level: Int?
    /// The lock type (`Mutex`, `ReentrantSpinLock`...).
    public let kind: LockKind
    /// The hierarchy's kind label (`uv_mutex_t`, `jl_mutex_t`...) when the class is declared.
    public let declaredKind: String?
    /// The mode of this acquisition or hold.
    public let mode: AccessMode
    /// The instance-order key, when the lock has one.
    public let orderKey: UInt64?
    /// Where the lock was acquired (`File.swift:line`), for held locks; where it is being
    /// acquired, for the lock of a report.
    public let site: String?
    /// Whether a held lock was taken by a successful trylock.
    public let tryLock: Bool

    /// `name (level 3, Mutex, exclusive)` — the lock in one phrase.
    public var summary: String { summary(classLabel: className == name ? nil : className) }

    /// The lock in one phrase, naming its class as `classLabel` (nil: not named).
    func summary(classLabel: String?) -> String {
        var parts: [String] = []
        parts.append(level.map { "level \($0)" } ?? "no level")
        parts.append(declaredKind.map { "\($0), \(kind)" } ?? kind.description)
        if kind.isReadWrite { parts.append(mode.description) }
        if let orderKey { parts.append("order key \(orderKey)") }
        if tryLock { parts.append("trylock") }
        if let classLabel { parts.append("class \(classLabel)") }
        return "\(name) (\(parts.joined(separator: ", ")))"
    }

    /// `name (level 3)` or `name` for undeclared locks: the short form used in headlines.
    public var shortName: String {
        level.map { "\(name) (level \($0))" } ?? name
    }

    /// Creates a snapshot.
    init(
        name: String, className: String, level: Int?, kind: LockKind, declaredKind: String?, mode: AccessMode,
        orderKey: UInt64?, site: String?, tryLock: Bool
    ) {
        self.name = name
        self.className = className
        self.level = level
        self.kind = kind
        self.declaredKind = declaredKind
        self.mode = mode
        self.orderKey = orderKey
        self.site = site
        self.tryLock = tryLock
    }

    // MARK: JSON (docs/report-format.md)

    // `kind` and `mode` are written as words (`"mutex"`, `"exclusive"`), not as the enums' raw
    // numbers, so a reader of the report file needs no table of lockorder's internals.

    enum CodingKeys: String, CodingKey {
        case name, className, level, kind, declaredKind, mode, orderKey, site, tryLock
    }

    /// The JSON spelling of each lock kind.
    static let kindNames: [(LockKind, String)] = [
        (.mutex, "mutex"), (.reentrantMutex, "reentrant_mutex"), (.spinLock, "spin_lock"),
        (.reentrantSpinLock, "reentrant_spin_lock"), (.readerPreferringRWLock, "reader_preferring_rwlock"),
        (.writerPreferringRWLock, "writer_preferring_rwlock"),
    ]

    /// Reads a snapshot from its JSON form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kindName = try container.decode(String.self, forKey: .kind)
        guard let kind = Self.kindNames.first(where: { $0.1 == kindName })?.0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "unknown lock kind '\(kindName)'")
        }
        let modeName = try container.decode(String.self, forKey: .mode)
        guard let mode = [AccessMode.exclusive, .shared].first(where: { $0.description == modeName }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .mode, in: container, debugDescription: "unknown mode '\(modeName)'")
        }
        self.init(
            name: try container.decode(String.self, forKey: .name),
            className: try container.decode(String.self, forKey: .className),
            level: try container.decodeIfPresent(Int.self, forKey: .level), kind: kind,
            declaredKind: try container.decodeIfPresent(String.self, forKey: .declaredKind), mode: mode,
            orderKey: try container.decodeIfPresent(UInt64.self, forKey: .orderKey),
            site: try container.decodeIfPresent(String.self, forKey: .site),
            tryLock: try container.decode(Bool.self, forKey: .tryLock))
    }

    /// Writes the snapshot's JSON form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(className, forKey: .className)
        try container.encodeIfPresent(level, forKey: .level)
        try container.encode(Self.kindNames.first { $0.0 == kind }?.1 ?? kind.description, forKey: .kind)
        try container.encodeIfPresent(declaredKind, forKey: .declaredKind)
        try container.encode(mode.description, forKey: .mode)
        try container.encodeIfPresent(orderKey, forKey: .orderKey)
        try container.encodeIfPresent(site, forKey: .site)
        try container.encode(tryLock, forKey: .tryLock)
    }
}
