import LockOrderChecker

/// Several graph files read as one: each file's edges keep the runs that saw them, and a file
/// written before runs were recorded counts as one run named after the file.
enum GraphSet {
    /// Loads and merges `paths`; the first failure is thrown as its one line.
    static func load(_ paths: [String]) throws(GraphFailure) -> LearnedOrderSnapshot {
        var merged: LearnedOrderSnapshot?
        for path in paths {
            var graph = try GraphInput.load(path: path)
            if graph.runs == nil {
                var run = GraphRun(process: path, pid: 0, time: "unknown time")
                run.id = "file \(path)"
                graph = graph.stamped(run: run)
            }
            merged = merged.map { $0.merging(graph) } ?? graph
        }
        guard let merged else { throw GraphFailure(message: "no graph files given") }
        return merged.droppingTransientClasses()
    }
}

/// The order the edges of a graph give its classes: strongly connected components (the cycles
/// that prevent a total order), a short cycle in each, and a layering of the rest.
struct OrderAnalysis {
    /// Class names, in name order; indices below are into this.
    let names: [String]
    /// Outgoing edges by class index, each (target, edge index in the graph).
    let successors: [[(to: Int, edge: Int)]]
    /// The component of each class.
    let component: [Int]
    /// The members of each component.
    let members: [[Int]]

    init(_ graph: LearnedOrderSnapshot) {
        var nameSet = Set(graph.classes.map(\.name))
        for edge in graph.edges {
            nameSet.insert(edge.from)
            nameSet.insert(edge.to)
        }
        names = nameSet.sorted()
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() { index[name] = position }
        var successors = [[(to: Int, edge: Int)]](repeating: [], count: names.count)
        for (edgeIndex, edge) in graph.edges.enumerated() {
            let from = index[edge.from]!
            let to = index[edge.to]!
            if from != to { successors[from].append((to, edgeIndex)) }
        }
        self.successors = successors
        (component, members) = Self.stronglyConnected(successors)
    }

    /// Tarjan's algorithm without recursion (graphs may be deep).
    private static func stronglyConnected(_ successors: [[(to: Int, edge: Int)]]) -> ([Int], [[Int]]) {
        let count = successors.count
        var order = [Int](repeating: -1, count: count)
        var low = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var component = [Int](repeating: -1, count: count)
        var members: [[Int]] = []
        var counter = 0
        for root in 0..<count where order[root] < 0 {
            var work: [(node: Int, next: Int)] = [(root, 0)]
            order[root] = counter
            low[root] = counter
            counter += 1
            stack.append(root)
            onStack[root] = true
            while let (node, next) = work.last {
                if next < successors[node].count {
                    work[work.count - 1].next += 1
                    let target = successors[node][next].to
                    if order[target] < 0 {
                        order[target] = counter
                        low[target] = counter
                        counter += 1
                        stack.append(target)
                        onStack[target] = true
                        work.append((target, 0))
                    } else if onStack[target] {
                        low[node] = min(low[node], order[target])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last { low[parent.node] = min(low[parent.node], low[node]) }
                if low[node] == order[node] {
                    var group: [Int] = []
                    while true {
                        let member = stack.removeLast()
                        onStack[member] = false
                        component[member] = members.count
                        group.append(member)
                        if member == node { break }
                    }
                    members.append(group.sorted())
                }
            }
        }
        return (component, members)
    }

    /// The components that are cycles (more than one class), in order of their first name.
    var blockers: [[Int]] {
        members.filter { $0.count > 1 }.sorted { $0[0] < $1[0] }
    }

    /// A shortest cycle through the first class of a cycle component, as edge indices.
    func cycle(in group: [Int]) -> [Int] {
        let start = group[0]
        let inGroup = Set(group)
        var cameBy: [Int: (from: Int, edge: Int)] = [:]
        var queue = [start]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for (target, edge) in successors[node] where inGroup.contains(target) {
                if target == start {
                    var path = [edge]
                    var current = node
                    while current != start, let step = cameBy[current] {
                        path.append(step.edge)
                        current = step.from
                    }
                    return path.reversed()
                }
                if cameBy[target] == nil {
                    cameBy[target] = (node, edge)
                    queue.append(target)
                }
            }
        }
        return []
    }

    /// Levels from the order: a class acquired while nothing after it is ever taken is level 1;
    /// otherwise one more than the highest level of what it was seen held before. The classes
    /// of one cycle share a level.
    func levels() -> [Int] {
        var componentLevel = [Int](repeating: 0, count: members.count)
        // Tarjan numbers components in reverse topological order: successors come first.
        for (componentIndex, group) in members.enumerated() {
            var level = 1
            for node in group {
                for (target, _) in successors[node] where component[target] != componentIndex {
                    level = max(level, componentLevel[component[target]] + 1)
                }
            }
            componentLevel[componentIndex] = level
        }
        return component.map { componentLevel[$0] }
    }
}
