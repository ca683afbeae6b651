/// The node numbers of an order graph: numbers of removed nodes are handed out again before new
/// ones, and no more than the graph's node capacity exist at once. Shared by the class graph and
/// the instance graph, whose nodes come and go with destroyed locks.
struct NodeNumbers {
    let capacity: Int
    private var free: [UInt32] = []
    private var next: UInt32 = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// A number for a new node; nil when `capacity` numbers are in use.
    mutating func take() -> UInt32? {
        if let reused = free.popLast() { return reused }
        guard Int(next) < capacity else { return nil }
        defer { next += 1 }
        return next
    }

    /// Hands back the number of a removed node.
    mutating func giveBack(_ node: UInt32) {
        free.append(node)
    }
}
