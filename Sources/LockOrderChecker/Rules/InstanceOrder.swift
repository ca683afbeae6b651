import CLockOrderSupport
import LockOrderGraph

/// One lock in the instance order: which lock, and how reports name it.
struct InstanceNode {
    var lockID: UInt64
    var classID: UInt32
    var name: String
}

/// R32: the order among locks of one class, learned by lock id where the class graph cannot
/// order them (two instances of one class nested: a `Bank`'s accounts made in one `init`, five
/// forks made in one loop). Only same-class nesting makes instance edges, and a destroyed lock
/// takes its edges with it, so the graph holds the locks a program nests with their own class,
/// not every lock it makes. Past its capacity nesting is no longer ordered by instance and the
/// first nesting of each class after that is said once (lockdep's notice).
struct InstanceOrderGraph: GatedOrderGraph {
    static let nodeCapacity = 1 << 14
    static let edgeCapacity = 1 << 16
    /// Backtraces kept as instance-edge evidence; past it, new edges keep their sites only.
    static let storedStackCapacity = 1 << 12

    private(set) var graph = OrderGraph<EdgeEvidence?>(nodeCapacity: nodeCapacity, edgeCapacity: edgeCapacity)
    private var nodeByLock: [UInt64: UInt32] = [:]
    private(set) var instanceByNode: [UInt32: InstanceNode] = [:]
    private var nodeNumbers = NodeNumbers(capacity: nodeCapacity)
    private(set) var storedStacks = 0
    /// Classes whose nesting went unordered because a capacity was reached, each said once.
    var unorderedClasses: Set<UInt32> = []
    /// Cycle-closing edges a gate lock serialises (GateLocks.swift): transfers between accounts
    /// made under one bank-wide lock, forks taken under a waiter's lock.
    var serialised: [UInt64: SerialisedEdge] = [:]

    /// The node of a lock, made on first use; nil when the graph has no room.
    mutating func node(for instance: @autoclosure () -> InstanceNode, lockID: UInt64) -> UInt32? {
        if let node = nodeByLock[lockID] { return node }
        guard let node = nodeNumbers.take() else { return nil }
        nodeByLock[lockID] = node
        instanceByNode[node] = instance()
        return node
    }

    /// Whether another backtrace may be kept as evidence.
    var hasStackRoom: Bool { storedStacks < Self.storedStackCapacity }

    /// Inserts an edge; the evidence is built (and a backtrace kept) only for a new edge.
    mutating func insert(from: UInt32, to: UInt32, evidence: () -> EdgeEvidence)
        -> OrderGraph<EdgeEvidence?>.Insertion
    {
        var keptStack = false
        let result = graph.insertEdge(
            from: from, to: to,
            evidence: {
                let built = evidence()
                keptStack = built.backtrace != nil
                return built
            }())
        if case .inserted = result, keptStack { storedStacks += 1 }
        return result
    }

    /// Changes a stored edge's evidence in place (its gates).
    mutating func updateEvidence(from: UInt32, to: UInt32, _ body: (inout EdgeEvidence?) -> Void) {
        graph.updateEvidence(from: from, to: to, body)
    }

    /// Forgets a destroyed lock and its edges (R3). The chain caches stay: a chain key holds the
    /// ids of this class's locks, and a lock id is never reused, so no cached chain can name the
    /// destroyed lock again; and losing edges only ever allows more, never less.
    mutating func forget(_ lockID: UInt64) {
        guard let node = nodeByLock.removeValue(forKey: lockID) else { return }
        instanceByNode[node] = nil
        for evidence in graph.removeNode(node) where evidence?.backtrace != nil { storedStacks -= 1 }
        forgetSerialised(touching: [node])
        nodeNumbers.giveBack(node)
    }

    /// How many locks are in the instance order now.
    var count: Int { nodeByLock.count }
}

extension CheckerTables {
    /// Whether two locks of `classID` nested are ordered by instance: not for a class a
    /// hierarchy exception covers (`instanceOrder` and `guardedSameLevel` keep their rules,
    /// R15 and R16), and not when both holds are reads of a reader-preferring lock (readers do
    /// not wait for each other there, R11).
    func ordersByInstance(
        _ identity: LockIdentity, mode: AccessMode, heldEntry: lockorder_held_lock
    ) -> Bool {
        if let declared = registry.record(identity.classID).declared,
            !exceptionsMentioning(declared.name).isEmpty
        {
            return false
        }
        let heldShared = heldEntry.flags & UInt8(LOCKORDER_HELD_SHARED) != 0
        return !(identity.kind == .readerPreferringRWLock && heldShared && mode == .shared)
    }

    /// R32: learns that `heldEntry`'s lock was held while `identity`, a lock of the same class,
    /// was acquired; returns the report of a cycle among the class's instances that this edge
    /// would close (the edge is then not added).
    mutating func learnInstanceEdge(
        _ identity: LockIdentity, mode: AccessMode, heldEntry: lockorder_held_lock, site: SourceSite,
        sighting: [UInt64], threadName: inout String?, state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> ViolationCandidate? {
        guard heldEntry.lock_id != identity.id, ordersByInstance(identity, mode: mode, heldEntry: heldEntry)
        else { return nil }
        if lockorder_class_nests_itself(identity.classID) == 0 {
            // From now on the chain key holds the ids of this class's locks, so that the chain
            // cache tells one order of two instances from the other. This thread's held
            // summaries are recomputed with it; other threads' caches are cleared by the epoch.
            lockorder_set_class_nests_itself(identity.classID)
            HeldStack.recomputeSummaries(from: 0, in: state)
            lockorder_advance_graph_epoch()
        }
        let heldSnapshot = snapshot(heldEntry)
        let acquiredName = registry.name(of: identity.nameID, classID: identity.classID)
        guard
            let from = instances.node(
                for: InstanceNode(
                    lockID: heldEntry.lock_id, classID: heldEntry.class_id, name: heldSnapshot.name),
                lockID: heldEntry.lock_id),
            let to = instances.node(
                for: InstanceNode(lockID: identity.id, classID: identity.classID, name: acquiredName),
                lockID: identity.id)
        else {
            noteInstanceOrderFull(identity, heldSnapshot: heldSnapshot, site: site, what: "locks")
            return nil
        }
        let keepsStack = instances.hasStackRoom
        let result = instances.insert(from: from, to: to) {
            if threadName == nil { threadName = ThreadIdentity.describeCurrent() }
            return EdgeEvidence(
                fromName: heldSnapshot.name, toName: acquiredName, heldAt: heldSnapshot.site ?? "?",
                acquiredAt: "\(site)", thread: threadName!, backtrace: keepsStack ? Backtrace.capture() : nil,
                gates: sighting)
        }
        // Gates work here as in the class order (docs/graph.md §12): a cycle among the class's
        // locks whose every edge was taken under one gate lock is counted, not reported.
        var cyclePath: [UInt32]?
        switch result {
        case .inserted:
            if !keepsStack && reporter.noteCapacity("instance order stored stacks") {
                StandardError.write(
                    "lockorder: capacity: \(InstanceOrderGraph.storedStackCapacity) instance-edge backtraces are stored; "
                        + "new instance edges keep their sites only, and every check goes on\n")
            }
            cyclePath = instances.unserialisedPath(from: from, to: to, candidates: gateCandidates)
        case .alreadyPresent:
            if instances.narrowGates(from: from, to: to, sighting: sighting, candidates: gateCandidates) {
                cyclePath = instances.unserialisedPath(from: from, to: to, candidates: gateCandidates)
            }
        case .wouldCloseCycle(let path):
            switch instances.judgeRefusedEdge(
                from: from, to: to, path: path, sighting: sighting, candidates: gateCandidates)
            {
            case .counted:
                break
            case .newlySerialised(let gate, let gates, let backPath):
                instances.serialised[edgeKey(from, to)] = serialisedInstanceEdge(
                    heldEntry: heldEntry, acquiredName: acquiredName, gate: gate, gates: gates,
                    path: backPath, site: site, state: state)
            case .report(let reportedPath, let capacityReached):
                if capacityReached { noteSerialisedCapacity() }
                cyclePath = reportedPath
            }
        case .edgeCapacityExceeded:
            noteInstanceOrderFull(identity, heldSnapshot: heldSnapshot, site: site, what: "edges")
        case .nodeOutOfRange:
            noteInstanceOrderFull(identity, heldSnapshot: heldSnapshot, site: site, what: "locks")
        }
        guard let cyclePath else { return nil }
        return instanceCycleCandidate(
            identity, mode: mode, heldEntry: heldEntry, path: cyclePath, site: site, state: state)
    }

    /// The record of an instance edge a gate serialises: its evidence, its gates, the gate's
    /// name and the cycle's locks (the refused edge's held lock first).
    fileprivate func serialisedInstanceEdge(
        heldEntry: lockorder_held_lock, acquiredName: String, gate: UInt64, gates: [UInt64], path: [UInt32],
        site: SourceSite, state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> SerialisedEdge {
        let held = lockorder_held_locks(state)!
        let gateEntry = (0..<Int(state.pointee.depth)).map { held[$0] }.first { $0.lock_id == gate }
        let heldSnapshot = snapshot(heldEntry)
        let evidence = EdgeEvidence(
            fromName: heldSnapshot.name, toName: acquiredName, heldAt: heldSnapshot.site ?? "?",
            acquiredAt: "\(site)", thread: ThreadIdentity.describeCurrent(), backtrace: Backtrace.capture(),
            gates: gates)
        return SerialisedEdge(
            evidence: evidence, gates: gates, gateName: gateEntry.map { snapshot($0).name } ?? "?",
            classPath: [heldSnapshot.name] + path.map { instances.instanceByNode[$0]?.name ?? "?" }, count: 1)
    }

    /// The fallback when the instance order is full (lockdep's behaviour): a one-time notice per
    /// class that two of its locks were nested and are not ordered, with both sites and the fixes.
    fileprivate mutating func noteInstanceOrderFull(
        _ identity: LockIdentity, heldSnapshot: LockSnapshot, site: SourceSite, what: String
    ) {
        let capacity = what == "edges" ? InstanceOrderGraph.edgeCapacity : InstanceOrderGraph.nodeCapacity
        let firstTime = reporter.noteCapacity("instance order \(what)")
        guard instances.unorderedClasses.insert(identity.classID).inserted else { return }
        let className = registry.record(identity.classID).displayName
        let acquiredName = registry.name(of: identity.nameID, classID: identity.classID)
        var text = ""
        if firstTime {
            text +=
                "lockorder: capacity: the instance order is full (\(capacity) \(what)); locks of one class nested "
                + "from now on are not ordered by instance, while every other check goes on\n"
        }
        text += FindingText.unorderedNesting(
            className: TerminalText.value(className), held: TerminalText.value(heldSnapshot.name),
            heldAt: heldSnapshot.site ?? "?", acquired: TerminalText.value(acquiredName),
            acquiredAt: "\(site)")
        StandardError.write(text)
    }

    /// R32: the cycle among instances of one class, worded like a class cycle: the new edge,
    /// then every edge of the path back, each with where it was first seen.
    fileprivate mutating func instanceCycleCandidate(
        _ identity: LockIdentity, mode: AccessMode, heldEntry: lockorder_held_lock, path: [UInt32],
        site: SourceSite, state: UnsafeMutablePointer<lockorder_thread_state>
    ) -> ViolationCandidate {
        let acquiring = snapshot(identity, mode: mode, orderKey: nil, site: site)
        let heldSnapshot = snapshot(heldEntry)
        let instancesOnPath = path.compactMap { instances.instanceByNode[$0] }
        // Two instances on the path may carry one name (made by one line with one name): then
        // their lock ids tell them apart. The path runs from the acquired lock to the held one.
        func label(_ name: String, _ lockID: UInt64) -> String {
            let clashes = instancesOnPath.contains { $0.name == name && $0.lockID != lockID }
            return clashes ? "\(name) #\(lockID)" : name
        }
        let heldLabel = label(heldSnapshot.name, heldEntry.lock_id)
        let acquiredLabel = label(acquiring.name, identity.id)
        // Every edge runs from the class to itself; its locks say which instances.
        let className = acquiring.className
        var edges = [
            CycleEdge(
                from: className, to: className, modes: nil, heldAt: heldSnapshot.site ?? "?",
                acquiredAt: "\(site)", thread: "this thread (this acquisition)", frames: [],
                fromLock: heldLabel, toLock: acquiredLabel)
        ]
        var backtraces: [Backtrace?] = [nil]
        var instancePath = [heldLabel, acquiredLabel]
        var keptEdges: [CycleEvidence.KeptEdge] = []
        for (from, to) in zip(path, path.dropFirst()) {
            guard let evidence = instances.evidence(from: from, to: to),
                let fromNode = instances.instanceByNode[from], let toNode = instances.instanceByNode[to]
            else { continue }
            let (fromLabel, toLabel) = (
                label(fromNode.name, fromNode.lockID), label(toNode.name, toNode.lockID)
            )
            edges.append(
                CycleEdge(
                    from: className, to: className, modes: nil, heldAt: evidence.heldAt,
                    acquiredAt: evidence.acquiredAt, thread: evidence.thread, frames: [],
                    fromLock: fromLabel, toLock: toLabel))
            backtraces.append(evidence.backtrace)
            instancePath.append(toLabel)
            keptEdges.append(
                .init(
                    edge: .init(
                        from: fromLabel, to: toLabel, modes: nil,
                        count: instances.graph.count(from: from, to: to),
                        heldAt: evidence.heldAt, acquiredAt: evidence.acquiredAt, thread: evidence.thread),
                    from: .init(name: fromLabel, level: nil, transient: true),
                    to: .init(name: toLabel, level: nil, transient: true)))
        }
        // The instances are not lock classes, and their edges go with them: the graph file
        // draws the reported cycle from these (transient: never merged across runs).
        keepCycleEvidence(keptEdges)
        let finding = Finding(
            reason: .instanceCycle(instancePath: instancePath, edges: edges),
            lock: acquiring, conflicting: heldSnapshot, held: heldSnapshots(state),
            classIDs: [identity.classID, identity.classID], site: "\(site)")
        return ViolationCandidate(finding, edgeBacktraces: backtraces)
    }
}
