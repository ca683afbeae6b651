/// Picks out a set of declared locks, for ``ForbiddenOperation``.
///
/// In JSON an object with exactly one key: `{"levels": [1]}`,
/// `{"kinds": ["jl_mutex_t"]}`, `{"listedBefore": "jl_uv_mutex"}` or
/// `{"locks": ["a", "b"]}`.
public enum LockSelector: Sendable, Hashable, CustomStringConvertible {
    /// Any held lock whose level is in the list.
    case levels([Int])
    /// Any held lock whose declared kind label is in the list.
    case kinds([String])
    /// Any held lock listed before the named lock in table order.
    case listedBefore(String)
    /// These lock names.
    case locks([String])

    /// Whether a declared lock matches, given the hierarchy (table order is
    /// needed for ``listedBefore(_:)``). A lock that is not in the hierarchy
    /// never matches `listedBefore`.
    public func matches(_ lock: DeclaredLock, in hierarchy: LockHierarchy) -> Bool {
        switch self {
        case .levels(let levels):
            return levels.contains(lock.level)
        case .kinds(let kinds):
            guard let kind = lock.kind else { return false }
            return kinds.contains(kind)
        case .listedBefore(let boundary):
            guard let boundaryIndex = hierarchy.index(of: boundary),
                let lockIndex = hierarchy.index(of: lock.name)
            else { return false }
            return lockIndex < boundaryIndex
        case .locks(let names):
            return names.contains(lock.name)
        }
    }

    /// The JSON key of this case.
    public var key: String {
        switch self {
        case .levels: "levels"
        case .kinds: "kinds"
        case .listedBefore: "listedBefore"
        case .locks: "locks"
        }
    }

    static let jsonKeys = ["levels", "kinds", "listedBefore", "locks"]

    /// Human words: "a level 1 lock", "a jl_mutex_t lock",
    /// "any lock listed before jl_uv_mutex", "the lock x",
    /// "any of the locks x, y or z".
    public var description: String {
        switch self {
        case .levels(let levels):
            if levels.isEmpty { return "no lock" }
            return "a level \(LockSelector.alternatives(levels.map(String.init))) lock"
        case .kinds(let kinds):
            if kinds.isEmpty { return "no lock" }
            return "a \(LockSelector.alternatives(kinds)) lock"
        case .listedBefore(let boundary):
            return "any lock listed before \(boundary)"
        case .locks(let names):
            switch names.count {
            case 0: return "no lock"
            case 1: return "the lock \(names[0])"
            default: return "any of the locks \(LockSelector.alternatives(names))"
            }
        }
    }

    /// "a", "a or b", "a, b or c".
    static func alternatives(_ items: [String]) -> String {
        guard let last = items.last else { return "" }
        if items.count == 1 { return last }
        return items.dropLast().joined(separator: ", ") + " or " + last
    }
}
