/// The JSON form of a ``LockHierarchy``, before validation. Decoding checks
/// shapes (types, required and unknown keys, exception types, selector keys);
/// the hierarchy initializer then checks meaning (names, levels, references).
struct HierarchyFile: Codable {
    var name: String
    var locks: [DeclaredLock]
    var exceptions: [ExceptionEntry]
    var implicitAcquisitions: [ImplicitEntry]
    var forbiddenOperations: [ForbiddenEntry]

    static let jsonKeys = ["name", "locks", "exceptions", "implicitAcquisitions", "forbiddenOperations"]

    init(_ hierarchy: LockHierarchy) {
        name = hierarchy.name
        locks = hierarchy.locks
        exceptions = hierarchy.exceptions.map(ExceptionEntry.init)
        implicitAcquisitions = hierarchy.implicitAcquisitions.map(ImplicitEntry.init)
        forbiddenOperations = hierarchy.forbiddenOperations.map(ForbiddenEntry.init)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        try container.rejectUnknownKeys(allowed: HierarchyFile.jsonKeys)
        name = try container.decode(String.self, forKey: JSONKey("name"))
        locks = try container.decode([DeclaredLock].self, forKey: JSONKey("locks"))
        exceptions = try container.decodeIfPresent([ExceptionEntry].self, forKey: JSONKey("exceptions")) ?? []
        implicitAcquisitions =
            try container.decodeIfPresent(
                [ImplicitEntry].self, forKey: JSONKey("implicitAcquisitions")) ?? []
        forbiddenOperations =
            try container.decodeIfPresent(
                [ForbiddenEntry].self, forKey: JSONKey("forbiddenOperations")) ?? []
    }

    /// Empty optional lists are left out.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: JSONKey.self)
        try container.encode(name, forKey: JSONKey("name"))
        try container.encode(locks, forKey: JSONKey("locks"))
        if !exceptions.isEmpty {
            try container.encode(exceptions, forKey: JSONKey("exceptions"))
        }
        if !implicitAcquisitions.isEmpty {
            try container.encode(implicitAcquisitions, forKey: JSONKey("implicitAcquisitions"))
        }
        if !forbiddenOperations.isEmpty {
            try container.encode(forbiddenOperations, forKey: JSONKey("forbiddenOperations"))
        }
    }

    /// Validates and builds the hierarchy.
    func hierarchy(source: String) throws(HierarchyError) -> LockHierarchy {
        try LockHierarchy(
            name: name,
            locks: locks,
            exceptions: exceptions.map(\.value),
            implicitAcquisitions: implicitAcquisitions.map(\.value),
            forbiddenOperations: forbiddenOperations.map(\.value),
            source: source)
    }

    /// `{"type": "guardedSameLevel", "lock": ..., "guard": ...}` or
    /// `{"type": "instanceOrder", "lock": ...}`.
    struct ExceptionEntry: Codable {
        var value: HierarchyException

        static let types = ["guardedSameLevel", "instanceOrder"]

        init(_ value: HierarchyException) {
            self.value = value
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: JSONKey.self)
            let type = try container.decode(String.self, forKey: JSONKey("type"))
            switch type {
            case "guardedSameLevel":
                try container.rejectUnknownKeys(allowed: ["type", "lock", "guard"])
                value = .guardedSameLevel(
                    lock: try container.decode(String.self, forKey: JSONKey("lock")),
                    guard: try container.decode(String.self, forKey: JSONKey("guard")))
            case "instanceOrder":
                try container.rejectUnknownKeys(allowed: ["type", "lock"])
                value = .instanceOrder(lock: try container.decode(String.self, forKey: JSONKey("lock")))
            default:
                throw JSONFailure(
                    codingPath: container.codingPath + [JSONKey("type")],
                    problem:
                        "unknown exception type '\(type)' (expected \(ExceptionEntry.types.joined(separator: " or ")))"
                )
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONKey.self)
            try container.encode(value.typeName, forKey: JSONKey("type"))
            try container.encode(value.lockName, forKey: JSONKey("lock"))
            if case .guardedSameLevel(_, let guardLock) = value {
                try container.encode(guardLock, forKey: JSONKey("guard"))
            }
        }
    }

    /// `{"option": "safepoint", "lock": "safepoint_lock"}`.
    struct ImplicitEntry: Codable {
        var value: ImplicitAcquisition

        init(_ value: ImplicitAcquisition) {
            self.value = value
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: JSONKey.self)
            try container.rejectUnknownKeys(allowed: ["option", "lock"])
            value = ImplicitAcquisition(
                option: try container.decode(LockOption.self, forKey: JSONKey("option")),
                lock: try container.decode(String.self, forKey: JSONKey("lock")))
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONKey.self)
            try container.encode(value.option, forKey: JSONKey("option"))
            try container.encode(value.lock, forKey: JSONKey("lock"))
        }
    }

    /// `{"operation": "io", "whileHolding": {...}, "reason": "..."}`; the
    /// reason may be left out.
    struct ForbiddenEntry: Codable {
        var value: ForbiddenOperation

        init(_ value: ForbiddenOperation) {
            self.value = value
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: JSONKey.self)
            try container.rejectUnknownKeys(allowed: ["operation", "whileHolding", "reason"])
            value = ForbiddenOperation(
                operation: try container.decode(ThreadOperation.self, forKey: JSONKey("operation")),
                whileHolding: try container.decode(SelectorEntry.self, forKey: JSONKey("whileHolding")).value,
                reason: try container.decodeIfPresent(String.self, forKey: JSONKey("reason")) ?? "")
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONKey.self)
            try container.encode(value.operation, forKey: JSONKey("operation"))
            try container.encode(SelectorEntry(value.whileHolding), forKey: JSONKey("whileHolding"))
            if !value.reason.isEmpty {
                try container.encode(value.reason, forKey: JSONKey("reason"))
            }
        }
    }

    /// An object with exactly one of `levels`, `kinds`, `listedBefore`, `locks`.
    struct SelectorEntry: Codable {
        var value: LockSelector

        init(_ value: LockSelector) {
            self.value = value
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: JSONKey.self)
            try container.rejectUnknownKeys(allowed: LockSelector.jsonKeys)
            let present = LockSelector.jsonKeys.filter { container.contains(JSONKey($0)) }
            guard present.count == 1, let key = present.first else {
                let found =
                    present.isEmpty
                    ? "none"
                    : "\(present.count): \(present.joined(separator: ", "))"
                throw JSONFailure(
                    codingPath: container.codingPath,
                    problem:
                        "selector needs exactly one of \(LockSelector.jsonKeys.joined(separator: ", ")); found \(found)"
                )
            }
            switch key {
            case "levels":
                value = .levels(try container.decode([LevelValue].self, forKey: JSONKey(key)).map(\.value))
            case "kinds":
                value = .kinds(try container.decode([String].self, forKey: JSONKey(key)))
            case "listedBefore":
                value = .listedBefore(try container.decode(String.self, forKey: JSONKey(key)))
            default:
                value = .locks(try container.decode([String].self, forKey: JSONKey(key)))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONKey.self)
            let key = JSONKey(value.key)
            switch value {
            case .levels(let levels): try container.encode(levels, forKey: key)
            case .kinds(let kinds): try container.encode(kinds, forKey: key)
            case .listedBefore(let boundary): try container.encode(boundary, forKey: key)
            case .locks(let names): try container.encode(names, forKey: key)
            }
        }
    }
}
