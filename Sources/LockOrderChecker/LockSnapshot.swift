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
    public var summary: String {
        var parts: [String] = []
        parts.append(level.map { "level \($0)" } ?? "no level")
        parts.append(declaredKind.map { "\($0), \(kind)" } ?? kind.description)
        if kind.isReadWrite { parts.append(mode.description) }
        if let orderKey { parts.append("order key \(orderKey)") }
        if tryLock { parts.append("trylock") }
        if className != name { parts.append("class \(className)") }
        return "\(name) (\(parts.joined(separator: ", ")))"
    }

    /// `name (level 3)` or `name` for undeclared locks: the short form used in headlines.
    public var shortName: String {
        level.map { "\(name) (level \($0))" } ?? name
    }
}
