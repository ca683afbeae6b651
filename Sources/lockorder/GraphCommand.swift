import ArgumentParser
import LockOrderChecker

#if canImport(Glibc)
    import Glibc
#endif

/// `lockorder graph FILE`: draws the learned lock order that LOCKORDER_GRAPH_FILE recorded, as
/// Graphviz DOT on stdout or, with `--svg OUT`, as an SVG file rendered by Graphviz's `dot`.
///
/// A bad input (missing file, not JSON, not a graph file) or a failed rendering prints one line
/// on stderr and exits with status 1; nothing is written to stdout then.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw a learned lock-order graph file (LOCKORDER_GRAPH_FILE) as Graphviz DOT or SVG.",
        discussion: """
            Lock classes are the nodes, labelled with their name and declared level; an edge A -> B \
            says B was acquired while A was held, labelled with how often it was seen and where it \
            was first seen. The edges of every reported order cycle are red; the edge that would \
            have closed the cycle (never learned) is dashed. See docs/graph.md.
            """)

    @Argument(help: "The JSON file written at exit when LOCKORDER_GRAPH_FILE was set.")
    var file: String

    @Option(
        name: .customLong("svg"),
        help: ArgumentHelp("Write SVG to this file (needs Graphviz's dot on PATH).", valueName: "out"))
    var svgOutput: String?

    func run() throws {
        let graph: LearnedOrderSnapshot
        do {
            graph = try GraphInput.load(path: file)
        } catch {
            StandardError.write("lockorder graph: \(error.message)\n")
            throw ExitCode.failure
        }
        let dot = GraphDOT.render(graph)
        guard let svgOutput else {
            print(dot, terminator: "")
            return
        }
        do {
            try GraphvizRenderer.renderSVG(dot: dot, to: svgOutput)
        } catch {
            StandardError.write("lockorder graph: \(error.message)\n")
            throw ExitCode.failure
        }
    }
}

/// A failure of `lockorder graph`, as the one line it prints.
struct GraphFailure: Error {
    let message: String
}

/// Reading and decoding a graph file, with every failure turned into one readable line.
enum GraphInput {
    /// The schema versions this tool draws.
    static let supportedSchema = 1

    /// Graph files larger than this are refused rather than read.
    static let maximumFileSize = 256 * 1024 * 1024

    static func load(path: String) throws(GraphFailure) -> LearnedOrderSnapshot {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path: path, maximumSize: maximumFileSize)
        } catch {
            throw GraphFailure(message: "'\(path)': \(error.problem)")
        }
        let graph: LearnedOrderSnapshot
        do {
            graph = try LearnedOrderSnapshot.decode(bytes)
        } catch {
            let problem =
                (error as? DecodingError).map { JSONDecodingProblem($0).phrase } ?? "\(error)"
            throw GraphFailure(
                message: "'\(path)' is not a lockorder graph file (the JSON LOCKORDER_GRAPH_FILE writes): "
                    + problem)
        }
        guard graph.schema == supportedSchema else {
            throw GraphFailure(
                message:
                    "'\(path)' has graph schema \(graph.schema); this lockorder reads schema \(supportedSchema)"
            )
        }
        return graph
    }
}

/// The Graphviz DOT picture of a learned graph.
///
/// Nodes are lock classes (`c0`, `c1`, ... in name order) labelled with the class name and its
/// level (or "undeclared"). Edges are the learned orders, labelled with their count, modes and
/// first-seen sites; the first thread is the edge's tooltip. Every (from, to) pair named by the
/// cycle of an `order_cycle` violation is drawn red; a pair that is not a learned edge (the
/// acquisition that would have closed the cycle, which the checker refuses to learn) is added as
/// a dashed red edge.
enum GraphDOT {
    static func render(_ graph: LearnedOrderSnapshot) -> String {
        var classes = graph.classes.map { Node(name: $0.name, level: $0.level) }
        var known = Set(classes.map(\.name))
        let cycles = graph.violations.filter { $0.kind == .orderCycle }.compactMap(\.cycle)
        for pair in cycles.joined() where pair.count == 2 {
            for name in pair where known.insert(name).inserted {
                classes.append(Node(name: name, level: nil))
            }
        }
        for edge in graph.edges {
            for name in [edge.from, edge.to] where known.insert(name).inserted {
                classes.append(Node(name: name, level: nil))
            }
        }
        var nodeID: [String: String] = [:]
        for (index, lockClass) in classes.enumerated() { nodeID[lockClass.name] = "c\(index)" }

        var cycleMembership: [Pair: [Int]] = [:]
        var cycleNumber = 0
        for violation in graph.violations where violation.kind == .orderCycle {
            guard let cycle = violation.cycle else { continue }
            cycleNumber += 1
            for pair in cycle where pair.count == 2 {
                cycleMembership[Pair(from: pair[0], to: pair[1]), default: []].append(cycleNumber)
            }
        }

        var lines: [String] = []
        lines.append("// lockorder learned lock order (graph schema \(graph.schema))")
        lines.append("// render: dot -Tsvg THIS_FILE -o graph.svg")
        lines.append("digraph lockorder {")
        let summary =
            "\(classes.count) lock classes, \(graph.edges.count) learned orders, \(cycleNumber) reported order cycle\(cycleNumber == 1 ? "" : "s")"
        lines.append(
            "  graph [rankdir=LR, fontname=\"Helvetica\", labelloc=t, label=\(quoted(["lockorder: " + summary]))];"
        )
        lines.append("  node [shape=box, style=rounded, fontname=\"Helvetica\"];")
        lines.append("  edge [fontname=\"Helvetica\", fontsize=10];")
        for lockClass in classes {
            let level = lockClass.level.map { "level \($0)" } ?? "undeclared"
            lines.append("  \(nodeID[lockClass.name]!) [label=\(quoted([lockClass.name, level]))];")
        }
        var learnedPairs = Set<Pair>()
        for edge in graph.edges {
            let pair = Pair(from: edge.from, to: edge.to)
            learnedPairs.insert(pair)
            var label = ["\(edge.count) time\(edge.count == 1 ? "" : "s")"]
            if let modes = edge.modes { label.append(modes) }
            label.append("held at \(edge.heldAt)")
            label.append("acquired at \(edge.acquiredAt)")
            var attributes = [
                "label=\(quoted(label))", "tooltip=\(quoted(["first seen by \(edge.thread)"]))",
            ]
            if let numbers = cycleMembership[pair] {
                attributes += [
                    "color=red", "fontcolor=red", "penwidth=2", "xlabel=\(quoted([cycleLabel(numbers)]))",
                ]
            }
            lines.append(
                "  \(nodeID[edge.from]!) -> \(nodeID[edge.to]!) [\(attributes.joined(separator: ", "))];")
        }
        for (pair, numbers) in cycleMembership.sorted(by: { $0.key < $1.key })
        where !learnedPairs.contains(pair) {
            let label = [cycleLabel(numbers), "not learned: it would close the cycle"]
            lines.append(
                "  \(nodeID[pair.from]!) -> \(nodeID[pair.to]!) [label=\(quoted(label)), color=red, fontcolor=red, "
                    + "penwidth=2, style=dashed];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A lock class to draw: from the file's class list, or only named by an edge or a cycle.
    struct Node {
        let name: String
        let level: Int?
    }

    /// A (from, to) pair of class names.
    struct Pair: Hashable, Comparable {
        let from: String
        let to: String

        static func < (lhs: Pair, rhs: Pair) -> Bool {
            (lhs.from, lhs.to) < (rhs.from, rhs.to)
        }
    }

    private static func cycleLabel(_ numbers: [Int]) -> String {
        "order cycle " + numbers.map(String.init).joined(separator: ", ")
    }

    /// A DOT string literal whose lines are `parts`: quotes and backslashes escaped, each part
    /// on a line of its own (`\n`), newlines inside a part flattened to spaces.
    static func quoted(_ parts: [String]) -> String {
        let escaped = parts.map { part in
            var text = ""
            for character in part {
                switch character {
                case "\\": text += "\\\\"
                case "\"": text += "\\\""
                case _ where character.isNewline: text += " "
                default: text.append(character)
                }
            }
            return text
        }
        return "\"" + escaped.joined(separator: "\\n") + "\""
    }
}

/// Runs Graphviz's `dot` to turn DOT text into an SVG file.
enum GraphvizRenderer {
    /// The `dot` executable found on PATH, if any.
    static func findDot() -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/dot"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    static func renderSVG(dot: String, to output: String) throws(GraphFailure) {
        guard let dotPath = findDot() else {
            throw GraphFailure(
                message: "--svg needs Graphviz's dot, which is not on PATH (install graphviz, or run without "
                    + "--svg and render the DOT text elsewhere)")
        }
        var template = Array("/tmp/lockorder-graph-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else {
            throw GraphFailure(message: "cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        let dotFile = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { unlink(dotFile) }
        var text = dot
        text.withUTF8 { _ = writeAll(fileDescriptor: descriptor, $0) }
        close(descriptor)

        let arguments = [dotPath, "-Tsvg", "-o", output, dotFile]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, dotPath, nil, nil, argv, environ)
        guard spawned == 0 else {
            throw GraphFailure(message: "cannot run \(dotPath): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitedNormally = status & 0x7f == 0
        guard exitedNormally && (status >> 8) & 0xff == 0 else {
            throw GraphFailure(
                message:
                    "\(dotPath) failed (\(exitedNormally ? "status \((status >> 8) & 0xff)" : "signal \(status & 0x7f)")) "
                    + "writing '\(output)'")
        }
    }
}
