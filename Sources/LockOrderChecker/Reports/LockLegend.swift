/// The lock classes a report involves, each once, with the short label the report's other
/// lines use for it: the lock's own name when that tells the class apart, so that a class's
/// creation site or id (`accounts (Bank.swift:12)`, `A #4`) is printed once, in the `locks:`
/// section, instead of in the headline, the rule, the hint and every cycle line.
struct LockLegend {
    struct Entry: Equatable, Encodable {
        /// How the report's other lines name the class.
        var label: String
        /// The class's full name (`LockSnapshot.className`, `CycleEdge.from`).
        var className: String
        /// The locks of the class the report names, each once, in the order first met. Two or
        /// more (instances of one class, R32): the `locks:` section names them all, since no
        /// one lock's name is the class's.
        var locks: [String]

        private enum CodingKeys: String, CodingKey { case label, className, locks }

        /// `label` and `className`, and `locks` when the class has more than one (schema 2).
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(label, forKey: .label)
            try container.encode(className, forKey: .className)
            if locks.count > 1 { try container.encode(locks, forKey: .locks) }
        }
    }

    /// Every class involved, in the order first met (the acquired lock, the held ones, then the
    /// cycle's edges).
    private(set) var entries: [Entry] = []

    /// Collects the classes of `locks` and `edges`. A class is labelled with the first own name
    /// of one of its locks, unless another class of the report would get the same label: then
    /// both keep their full names.
    init(locks: [LockSnapshot], edges: [CycleEdge]) {
        var pairs = locks.map { (name: $0.name, className: $0.className) }
        for edge in edges {
            pairs.append((edge.fromLock ?? edge.from, edge.from))
            pairs.append((edge.toLock ?? edge.to, edge.to))
        }
        for pair in pairs {
            if let index = entries.firstIndex(where: { $0.className == pair.className }) {
                if !entries[index].locks.contains(pair.name) { entries[index].locks.append(pair.name) }
            } else {
                entries.append(Entry(label: pair.name, className: pair.className, locks: [pair.name]))
            }
        }
        let labels = entries.map(\.label)
        for index in entries.indices where labels.filter({ $0 == labels[index] }).count > 1 {
            entries[index].label = entries[index].className
        }
        for index in entries.indices {
            // A label that is some other class's full name would read as that class.
            let label = entries[index].label
            if entries.contains(where: { $0.className == label && $0.className != entries[index].className })
            {
                entries[index].label = entries[index].className
            }
        }
    }

    /// The legend of a violation: its locks, and its order cycle's edges (a deadlock's `cycle`
    /// is threads waiting, named by their locks, not class edges).
    init(_ violation: Violation) {
        self.init(
            locks: [violation.lock].compactMap { $0 } + violation.held,
            edges: violation.kind == .deadlock ? [] : violation.cycle ?? [])
    }

    /// The label of a class (its full name when the report does not involve it).
    func label(_ className: String) -> String {
        entries.first { $0.className == className }?.label ?? className
    }

    /// Whether a lock's line can leave its class unnamed: the `locks:` section already says which
    /// class a lock of this name belongs to.
    func explains(_ lock: LockSnapshot) -> Bool {
        guard let entry = entries.first(where: { $0.className == lock.className }) else { return false }
        return entry.label == lock.name || (entry.label != entry.className && entry.locks.contains(lock.name))
    }

    /// The entries whose label is not the full class name: the ones the `locks:` section lists.
    var explained: [Entry] { entries.filter { $0.label != $0.className } }
}
