extension LockHierarchy {
    /// The checks shared by the Swift initializer and the file loader. The
    /// first failure is thrown, with the key path of the offending value.
    static func validate(
        name: String,
        locks: [DeclaredLock],
        exceptions: [HierarchyException],
        implicitAcquisitions: [ImplicitAcquisition],
        forbiddenOperations: [ForbiddenOperation],
        source: String
    ) throws(HierarchyError) {
        func failure(_ location: String, _ problem: String) -> HierarchyError {
            HierarchyError(source: source, location: location, problem: problem)
        }

        if name.isEmpty {
            throw failure("name", "hierarchy name is empty")
        }
        if locks.isEmpty {
            throw failure("locks", "no locks declared")
        }

        var firstIndex: [String: Int] = [:]
        var kinds: Set<String> = []
        for (index, lock) in locks.enumerated() {
            let path = "locks[\(index)]"
            if lock.name.isEmpty {
                throw failure("\(path).name", "lock name is empty")
            }
            if let first = firstIndex[lock.name] {
                throw failure("\(path).name", "duplicate lock name '\(lock.name)' (first at locks[\(first)])")
            }
            firstIndex[lock.name] = index
            if !levelRange.contains(lock.level) {
                throw failure("\(path).level", "level \(lock.level) is out of range \(levelRangeText)")
            }
            if let kind = lock.kind {
                if kind.isEmpty {
                    throw failure("\(path).kind", "kind label is empty (leave the key out instead)")
                }
                kinds.insert(kind)
            }
        }

        func declared(_ lockName: String, at location: String) throws(HierarchyError) -> DeclaredLock {
            guard let index = firstIndex[lockName] else {
                throw failure(location, "unknown lock '\(lockName)'")
            }
            return locks[index]
        }

        var exceptionFor: [String: Int] = [:]
        for (index, exception) in exceptions.enumerated() {
            let path = "exceptions[\(index)]"
            let lock = try declared(exception.lockName, at: "\(path).lock")
            if case .guardedSameLevel(_, let guardName) = exception {
                let guardLock = try declared(guardName, at: "\(path).guard")
                if guardLock.level <= lock.level {
                    throw failure(
                        "\(path).guard",
                        "guard '\(guardLock.name)' (level \(guardLock.level)) must have a higher level than '\(lock.name)' (level \(lock.level))"
                    )
                }
            }
            if let first = exceptionFor[lock.name] {
                throw failure(
                    "\(path).lock", "second exception for lock '\(lock.name)' (first at exceptions[\(first)])"
                )
            }
            exceptionFor[lock.name] = index
        }

        for (index, acquisition) in implicitAcquisitions.enumerated() {
            let path = "implicitAcquisitions[\(index)]"
            if acquisition.option.rawValue.isEmpty {
                throw failure("\(path).option", "option is empty")
            }
            _ = try declared(acquisition.lock, at: "\(path).lock")
        }

        for (index, forbidden) in forbiddenOperations.enumerated() {
            let path = "forbiddenOperations[\(index)]"
            if forbidden.operation.rawValue.isEmpty {
                throw failure("\(path).operation", "operation is empty")
            }
            let selectorPath = "\(path).whileHolding.\(forbidden.whileHolding.key)"
            switch forbidden.whileHolding {
            case .levels(let levels):
                if levels.isEmpty { throw failure(selectorPath, "empty list") }
                for (position, level) in levels.enumerated() where !levelRange.contains(level) {
                    throw failure(
                        "\(selectorPath)[\(position)]", "level \(level) is out of range \(levelRangeText)")
                }
            case .kinds(let kindList):
                if kindList.isEmpty { throw failure(selectorPath, "empty list") }
                for (position, kind) in kindList.enumerated() where !kinds.contains(kind) {
                    throw failure("\(selectorPath)[\(position)]", "no declared lock has kind '\(kind)'")
                }
            case .listedBefore(let boundary):
                _ = try declared(boundary, at: selectorPath)
            case .locks(let names):
                if names.isEmpty { throw failure(selectorPath, "empty list") }
                for (position, lockName) in names.enumerated() {
                    _ = try declared(lockName, at: "\(selectorPath)[\(position)]")
                }
            }
        }
    }
}
