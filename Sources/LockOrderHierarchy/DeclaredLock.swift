/// One lock (or class of locks) in a hierarchy.
///
/// In JSON: `{"name": "jl_method_t.writelock", "level": 3, "kind": "std::mutex", "note": "text"}`,
/// where `kind` and `note` may be left out. Unknown keys are rejected.
public struct DeclaredLock: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The lock's name, unique within its hierarchy.
    public let name: String
    /// The lock's level, within ``LockHierarchy/levelRange``. Higher levels are
    /// taken first: while holding a lock of level L only strictly lower levels
    /// may be taken.
    public let level: Int
    /// The kind label the table gives, such as `"uv_mutex_t"`, `"std::mutex"`,
    /// `"jl_mutex_t"`, `"std::recursive_mutex"`, `"ReentrantLock"` or
    /// `"uv_rwlock_t"`; `nil` when the table gives none.
    public let kind: String?
    /// Free text from the table, such as `"Win32 only"`.
    public let note: String?

    /// Declares a lock; the hierarchy validates the level when it is built.
    public init(name: String, level: Int, kind: String? = nil, note: String? = nil) {
        self.name = name
        self.level = level
        self.kind = kind
        self.note = note
    }

    /// `name (level N, kind)`.
    public var description: String {
        if let kind {
            return "\(name) (level \(level), \(kind))"
        }
        return "\(name) (level \(level))"
    }

    static let jsonKeys = ["name", "level", "kind", "note"]

    /// Reads a lock from its JSON object.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        try container.rejectUnknownKeys(allowed: DeclaredLock.jsonKeys)
        name = try container.decode(String.self, forKey: JSONKey("name"))
        level = try container.decode(LevelValue.self, forKey: JSONKey("level")).value
        kind = try container.decodeIfPresent(String.self, forKey: JSONKey("kind"))
        note = try container.decodeIfPresent(String.self, forKey: JSONKey("note"))
    }

    /// Writes the lock as a JSON object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: JSONKey.self)
        try container.encode(name, forKey: JSONKey("name"))
        try container.encode(level, forKey: JSONKey("level"))
        try container.encodeIfPresent(kind, forKey: JSONKey("kind"))
        try container.encodeIfPresent(note, forKey: JSONKey("note"))
    }
}
