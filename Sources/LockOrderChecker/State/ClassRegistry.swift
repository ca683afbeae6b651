import CLockOrderSupport

/// Every lock class and lock name the process has made, with each class's place in the active
/// hierarchy. Guarded by the checker's lock.
///
/// Class ids index the C level table that the acquisition fast path reads; id 0 is the shared
/// class of locks made after the table filled up (bounded and loud).
struct ClassRegistry {
    /// How a class is keyed: lockdep keys a class by where its locks are initialised.
    enum Key: Hashable {
        /// The creation site: the `#fileID` string's address and the line.
        case site(file: UInt, line: UInt)
        /// A name in the hierarchy.
        case declared(String)
        /// One lock instance.
        case instance(UInt64)
    }

    struct Record {
        var key: Key
        var displayName: String
        /// The hierarchy entry, when the class is declared in the active hierarchy.
        var declared: DeclaredLock?
        /// Whether the class is in use (instance classes die with their lock).
        var live: Bool
    }

    /// How many distinct lock names are kept; later names show their class name instead.
    static let nameCapacity = 1 << 17
    static let overflowClassID: UInt32 = 0

    private(set) var records: [Record] = [
        Record(
            key: .declared("<overflow>"), displayName: "<classes beyond capacity>", declared: nil, live: true)
    ]
    private var idByKey: [Key: UInt32] = [:]
    private var freeClassIDs: [UInt32] = []
    /// A lock's name and where it was created, interned together: the name id of a lock also
    /// tells where it was made (reports of a destroyed lock name that site).
    struct Label: Hashable {
        var name: String?
        var file: UInt
        var line: UInt
    }

    private(set) var names: [String?] = [nil]
    private(set) var creationSites: [SourceSite?] = [nil]
    private var nameIDByLabel: [Label: UInt32] = [:]
    private var optionNames: [String] = []
    /// Classes made so far, instance classes each time one is made (the clean-run summary's
    /// "checked N classes"); the overflow class is not counted.
    private(set) var classesMade = 0

    /// The class id for a key, creating the class on first use. Returns nil when the table is
    /// full (the caller announces it and uses the overflow class).
    mutating func classID(
        for key: Key, displayName: @autoclosure () -> String, hierarchy: LockHierarchy
    )
        -> UInt32?
    {
        if case .instance = key {} else if let id = idByKey[key] { return id }
        let id: UInt32
        if let reused = freeClassIDs.popLast() {
            id = reused
        } else if records.count < Int(LOCKORDER_CLASS_CAPACITY) {
            id = UInt32(records.count)
            records.append(Record(key: key, displayName: "", declared: nil, live: false))
        } else {
            return nil
        }
        let name = displayName()
        let declared: DeclaredLock? =
            if case .declared(let declaredName) = key {
                hierarchy.lock(named: declaredName)
            } else { nil }
        records[Int(id)] = Record(key: key, displayName: name, declared: declared, live: true)
        classesMade += 1
        if case .instance = key {} else { idByKey[key] = id }
        lockorder_set_class_level(id, UInt16(declared?.level ?? 0))
        if case .instance = key {
            lockorder_set_class_is_instance(id, 1)
        } else {
            lockorder_set_class_is_instance(id, 0)
        }
        return id
    }

    /// Frees an instance class when its lock is destroyed, so its id can be reused.
    mutating func releaseInstanceClass(_ id: UInt32) {
        guard Int(id) < records.count, id != Self.overflowClassID, case .instance = records[Int(id)].key,
            records[Int(id)].live
        else { return }
        records[Int(id)].live = false
        lockorder_clear_class_entry(id)
        lockorder_set_class_is_instance(id, 0)
        freeClassIDs.append(id)
    }

    /// The id of a lock's name (nil: show the class name) and creation site, 0 (meaning "show
    /// the class name", no known site) when the name table is full.
    mutating func nameID(for name: String?, site: SourceSite) -> (id: UInt32, overflowed: Bool) {
        let label = Label(name: name, file: UInt(bitPattern: site.fileID.utf8Start), line: site.line)
        if let id = nameIDByLabel[label] { return (id, false) }
        guard names.count < Self.nameCapacity else { return (0, true) }
        let id = UInt32(names.count)
        names.append(name)
        creationSites.append(site)
        nameIDByLabel[label] = id
        return (id, false)
    }

    /// Where a lock was created, from its name id; nil when the name table was full.
    func creationSite(of nameID: UInt32) -> SourceSite? {
        Int(nameID) < creationSites.count ? creationSites[Int(nameID)] : nil
    }

    /// The bit that stands for an implicit-acquisition option; at most 8 distinct options. A new
    /// option's implicit lock level is published for the fast path.
    mutating func optionBit(for option: String, hierarchy: LockHierarchy) -> UInt8? {
        if let index = optionNames.firstIndex(of: option) { return 1 << UInt8(index) }
        guard optionNames.count < 8 else { return nil }
        optionNames.append(option)
        publishOptionLevels(hierarchy)
        return 1 << UInt8(optionNames.count - 1)
    }

    /// Tells the fast path, for each option bit, the level of the lock it implicitly acquires.
    private func publishOptionLevels(_ hierarchy: LockHierarchy) {
        for (index, option) in optionNames.enumerated() {
            let implicitLock = hierarchy.implicitAcquisitions.first { $0.option.rawValue == option }
            let level = implicitLock.flatMap { hierarchy.lock(named: $0.lock)?.level } ?? 0
            lockorder_set_option_level(UInt32(index), UInt16(level))
        }
    }

    /// The options a bit set stands for.
    func options(in bits: UInt8) -> [String] {
        optionNames.indices.filter { bits & (1 << UInt8($0)) != 0 }.map { optionNames[$0] }
    }

    /// Re-reads every declared class's level from a new hierarchy.
    mutating func resolve(against hierarchy: LockHierarchy) {
        for index in records.indices {
            guard case .declared(let name) = records[index].key, index != Int(Self.overflowClassID) else {
                continue
            }
            records[index].declared = hierarchy.lock(named: name)
            lockorder_set_class_level(UInt32(index), UInt16(records[index].declared?.level ?? 0))
        }
        publishOptionLevels(hierarchy)
    }

    /// The record of a class id (the overflow record for ids out of range).
    func record(_ id: UInt32) -> Record {
        Int(id) < records.count ? records[Int(id)] : records[0]
    }

    /// A lock's display name: its own name, or its class's name when it has none.
    func name(of nameID: UInt32, classID: UInt32) -> String {
        (Int(nameID) < names.count ? names[Int(nameID)] : nil) ?? record(classID).displayName
    }
}
