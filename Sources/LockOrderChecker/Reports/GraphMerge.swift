#if canImport(Glibc)
    import Glibc
#endif

/// A process run that wrote its learned order into a graph file.
public struct GraphRun: Sendable, Codable, Equatable {
    /// `process[pid]@time`, unique enough to tell runs apart in one file.
    public var id: String
    /// The executable's name.
    public var process: String
    /// Its process id.
    public var pid: Int
    /// When it wrote the file, UTC, ISO 8601 (`2026-11-29T07:18:17Z`).
    public var time: String

    /// Creates a run record.
    public init(process: String, pid: Int, time: String) {
        self.id = "\(process)[\(pid)]@\(time)"
        self.process = process
        self.pid = pid
        self.time = time
    }

    /// This process, now.
    public static func current() -> GraphRun {
        GraphRun(process: processName(), pid: Int(getpid()), time: utcTimestamp(Glibc.time(nil)))
    }

    /// The executable's file name (from /proc/self/exe), or "process".
    private static func processName() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return "process" }
        let path = buffer[0..<count].withUnsafeBufferPointer { raw in
            String(decoding: UnsafeRawBufferPointer(raw), as: UTF8.self)
        }
        let name = path.split(separator: "/").last.map(String.init) ?? ""
        return name.isEmpty ? "process" : name
    }

    /// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
    static func utcTimestamp(_ seconds: time_t) -> String {
        var moment = seconds
        var parts = tm()
        gmtime_r(&moment, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

/// One run's sighting of an edge: where the two locks were taken the first time that run saw it.
public struct EdgeSighting: Sendable, Codable, Equatable {
    /// Sightings kept per edge; past it the oldest are kept and `count` still adds up.
    public static let limit = 16

    /// The run's `GraphRun.id`.
    public var run: String
    /// Where the held lock was taken.
    public var heldAt: String
    /// Where the acquired lock was taken.
    public var acquiredAt: String
    /// The thread that made the edge in that run.
    public var thread: String
    /// How often that run saw it on the slow path.
    public var count: Int

    /// Creates a sighting.
    public init(run: String, heldAt: String, acquiredAt: String, thread: String, count: Int) {
        self.run = run
        self.heldAt = heldAt
        self.acquiredAt = acquiredAt
        self.thread = thread
        self.count = count
    }
}

extension LearnedOrderSnapshot {
    /// The same graph as seen by `run`: the run listed, each edge's sighting recorded.
    public func stamped(run: GraphRun) -> LearnedOrderSnapshot {
        var file = self
        file.edges = edges.map { edge in
            var edge = edge
            edge.seen = [
                EdgeSighting(
                    run: run.id, heldAt: edge.heldAt, acquiredAt: edge.acquiredAt, thread: edge.thread,
                    count: edge.count)
            ]
            return edge
        }
        file.runs = [run]
        return file
    }

    /// This graph with `newer` merged in. Classes are matched by name (a declared level wins over
    /// none), edges by (from, to, modes): counts add up, the first sighting's sites stay the
    /// edge's, and each run's sighting is kept (up to `EdgeSighting.limit`). Violations are
    /// matched by kind and headline, their counts added. Runs are listed once each. This graph's
    /// instance classes (`transient`, named by per-run ids) and their edges are dropped first: a
    /// later run cannot mean the same locks by those names (unless `droppingTransient` is false:
    /// two graphs of one process, whose instance names are the same locks).
    public func merging(_ newer: LearnedOrderSnapshot, droppingTransient: Bool = true) -> LearnedOrderSnapshot
    {
        var merged = droppingTransient ? self.droppingTransientClasses() : self
        var classIndex: [String: Int] = [:]
        for (index, lockClass) in merged.classes.enumerated() { classIndex[lockClass.name] = index }
        for lockClass in newer.classes {
            if let index = classIndex[lockClass.name] {
                if merged.classes[index].level == nil { merged.classes[index].level = lockClass.level }
            } else {
                classIndex[lockClass.name] = merged.classes.count
                merged.classes.append(lockClass)
            }
        }
        merged.classes.sort { $0.name < $1.name }

        struct EdgeKey: Hashable {
            let from: String
            let to: String
            let modes: String?
        }
        var edgeIndex: [EdgeKey: Int] = [:]
        for (index, edge) in merged.edges.enumerated() {
            edgeIndex[EdgeKey(from: edge.from, to: edge.to, modes: edge.modes)] = index
        }
        for edge in newer.edges {
            let key = EdgeKey(from: edge.from, to: edge.to, modes: edge.modes)
            guard let index = edgeIndex[key] else {
                edgeIndex[key] = merged.edges.count
                merged.edges.append(edge)
                continue
            }
            merged.edges[index].count += edge.count
            var sightings = merged.edges[index].seen ?? []
            for sighting in edge.seen ?? [] where sightings.count < EdgeSighting.limit {
                if let same = sightings.firstIndex(where: {
                    $0.run == sighting.run && $0.heldAt == sighting.heldAt
                        && $0.acquiredAt == sighting.acquiredAt
                }) {
                    sightings[same].count += sighting.count
                } else {
                    sightings.append(sighting)
                }
            }
            merged.edges[index].seen = sightings.isEmpty ? nil : sightings
        }

        for violation in newer.violations {
            if let index = merged.violations.firstIndex(where: {
                $0.kind == violation.kind && $0.message == violation.message
            }) {
                merged.violations[index].count += violation.count
            } else {
                merged.violations.append(violation)
            }
        }

        var serialised = merged.serialisedCycles ?? []
        for cycle in newer.serialisedCycles ?? [] {
            if let index = serialised.firstIndex(where: { $0.cycle == cycle.cycle && $0.gate == cycle.gate })
            {
                serialised[index].count += cycle.count
            } else {
                serialised.append(cycle)
            }
        }
        merged.serialisedCycles = serialised.isEmpty ? nil : serialised

        var runs = merged.runs ?? []
        for run in newer.runs ?? [] where !runs.contains(where: { $0.id == run.id }) { runs.append(run) }
        merged.runs = runs.isEmpty ? nil : runs
        return merged
    }

    /// This graph without instance classes and their edges.
    public func droppingTransientClasses() -> LearnedOrderSnapshot {
        let transient = Set(classes.filter { $0.transient == true }.map(\.name))
        guard !transient.isEmpty else { return self }
        var file = self
        file.classes.removeAll { transient.contains($0.name) }
        file.edges.removeAll { transient.contains($0.from) || transient.contains($0.to) }
        file.serialisedCycles?.removeAll { $0.cycle.contains(where: transient.contains) }
        if file.serialisedCycles?.isEmpty == true { file.serialisedCycles = nil }
        return file
    }
}

extension LearnedOrderSnapshot.OrderEdge {
    /// Creates an edge (for tools that build or extend graphs).
    public init(
        from: String, to: String, modes: String?, count: Int, heldAt: String, acquiredAt: String,
        thread: String,
        sightings: [EdgeSighting]?
    ) {
        self.from = from
        self.to = to
        self.modes = modes
        self.count = count
        self.heldAt = heldAt
        self.acquiredAt = acquiredAt
        self.thread = thread
        self.seen = sightings
    }
}
