import LockOrderChecker
import LockOrderTestSupport
import Testing

/// `lockorder graph`, run as a user would: on a file recorded by `lockorder demo` with
/// LOCKORDER_GRAPH_FILE, on hand-written files, and on bad input.
@Suite("lockorder graph, end to end", .serialized)
struct GraphCommandEndToEndTests {
    static let binary = lockorderBinary()
    /// Graphviz's `dot`, when installed. It is not installed where these tests were written, so
    /// there the DOT text is checked by a strict parser of its own (DOTGraph) and the SVG tests
    /// are skipped; with graphviz installed they run `dot -Tsvg` for real.
    static let dot = executableOnPath("dot")

    /// Records a graph file by running the demo with checking on; returns the file and the
    /// decoded graph.
    static func recordDemoGraph(in directory: String) throws -> (path: String, graph: LearnedOrderSnapshot) {
        let path = directory + "/graph.json"
        let demo = runChildProcess(
            binary, arguments: ["demo"], environment: ["LOCKORDER_CHECK": "1", "LOCKORDER_GRAPH_FILE": path])
        try #require(demo.status == 0, "demo failed: \(demo.standardError.suffix(500))")
        let bytes = try #require(readFileBytes(path), "the demo wrote no graph file")
        return (path, try LearnedOrderSnapshot.decode(bytes))
    }

    @Test(
        "the demo's recorded graph is drawn as DOT: classes with levels, edges with counts and sites, the cycle in red"
    )
    func drawsRecordedDemoGraph() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let (path, recorded) = try Self.recordDemoGraph(in: directory)
        let result = runChildProcess(Self.binary, arguments: ["graph", path])
        #expect(result.status == 0)
        #expect(result.standardError.isEmpty, "\(result.standardError)")
        let dot = try DOTGraph.parse(result.standardOutput)
        #expect(dot.name == "lockorder")

        // Every class of the file is a node labelled with its name and level.
        #expect(dot.nodes.count == recorded.classes.count)
        for lockClass in recorded.classes {
            let id = try #require(dot.node(named: lockClass.name), "no node for \(lockClass.name)")
            #expect(
                dot.labelLines(ofNode: id) == [
                    lockClass.name, lockClass.level.map { "level \($0)" } ?? "undeclared",
                ])
        }
        // The demo's locks, as the checker named them.
        let worldCounter = try #require(dot.node(named: "world_counter_lock"))
        let methodLock = try #require(dot.node(named: "jl_method_t.writelock"))
        #expect(dot.labelLines(ofNode: worldCounter) == ["world_counter_lock", "level 7"])
        #expect(dot.labelLines(ofNode: methodLock) == ["jl_method_t.writelock", "level 3"])
        // Declared classes that only broke a level rule have no edge, but are drawn.
        let typecache = try #require(dot.node(named: "typecache_lock"))
        #expect(dot.labelLines(ofNode: typecache) == ["typecache_lock", "level 3"])
        #expect(!dot.edges.contains { $0.from == typecache || $0.to == typecache })
        let accountsName = try #require(
            recorded.classes.first { $0.name.hasPrefix("accounts (lockorder/") }?.name)
        let auditName = try #require(
            recorded.classes.first { $0.name.hasPrefix("audit log (lockorder/") }?.name)
        let accounts = try #require(dot.node(named: accountsName))
        let audit = try #require(dot.node(named: auditName))
        #expect(dot.labelLines(ofNode: accounts).last == "undeclared")

        // Every learned edge is drawn once, labelled with its count and first-seen sites.
        let learnedEdges = dot.edges.filter { $0.attributes["style"] != "dashed" }
        #expect(learnedEdges.count == recorded.edges.count)
        for edge in recorded.edges {
            let from = try #require(dot.node(named: edge.from))
            let to = try #require(dot.node(named: edge.to))
            let drawn = try #require(
                learnedEdges.first { $0.from == from && $0.to == to }, "\(edge.from) -> \(edge.to)")
            let label = drawn.attributes["label"]?.split(separator: "\n").map(String.init) ?? []
            #expect(label.first == "\(edge.count) time\(edge.count == 1 ? "" : "s")")
            #expect(label.contains("held at \(edge.heldAt)"))
            #expect(label.contains("acquired at \(edge.acquiredAt)"))
            #expect(drawn.attributes["tooltip"] == "first seen by \(edge.thread)")
        }
        let guardEdge = try #require(learnedEdges.first { $0.from == worldCounter && $0.to == methodLock })
        #expect(guardEdge.attributes["label"]?.contains("held at lockorder/DemoScenarios.swift:") == true)
        #expect(guardEdge.attributes["color"] == nil, "an edge on no cycle is not red")

        // The reported cycles: the learned edge red, the refused one red and dashed.
        let cycleViolations = recorded.violations.filter { $0.kind == .orderCycle }
        #expect(cycleViolations.count == 2)
        let red = dot.edges.filter { $0.attributes["color"] == "red" }
        #expect(red.count == 4)
        let learnedRed = try #require(red.first { $0.from == accounts && $0.to == audit })
        #expect(learnedRed.attributes["style"] == nil)
        #expect(learnedRed.attributes["xlabel"] == "order cycle 1")
        let refused = try #require(red.first { $0.from == audit && $0.to == accounts })
        #expect(refused.attributes["style"] == "dashed")
        #expect(refused.attributes["label"]?.hasPrefix("order cycle 1\n") == true)
        // The bank's cycle among instances of one class: its accounts were gone before exit, and
        // the edge learned from them is still drawn as learned, with where it was seen.
        let alice = try #require(dot.node(named: "account alice"))
        let bob = try #require(dot.node(named: "account bob"))
        #expect(recorded.classes.first { $0.name == "account alice" }?.transient == true)
        let bankLearned = try #require(red.first { $0.from == alice && $0.to == bob })
        #expect(bankLearned.attributes["style"] == nil, "learned, not 'not learned'")
        #expect(bankLearned.attributes["xlabel"] == "order cycle 2")
        #expect(bankLearned.attributes["label"]?.contains("held at lockorder/DemoScenarios.swift:") == true)
        let bankRefused = try #require(red.first { $0.from == bob && $0.to == alice })
        #expect(bankRefused.attributes["style"] == "dashed")
        #expect(dot.defaults["graph"]?["label"]?.contains("2 reported order cycles") == true)
    }

    @Test(
        "--svg writes an SVG through Graphviz's dot",
        .enabled(
            if: GraphCommandEndToEndTests.dot != nil,
            "Graphviz's dot is not on PATH: SVG rendering is not checked here")
    )
    func writesSVG() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let (path, _) = try Self.recordDemoGraph(in: directory)
        let svgPath = directory + "/graph.svg"
        let result = runChildProcess(Self.binary, arguments: ["graph", path, "--svg", svgPath])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
        let svg = String(decoding: try #require(readFileBytes(svgPath)), as: UTF8.self)
        #expect(svg.contains("<svg"))
        #expect(svg.contains("world_counter_lock"))
        // And dot itself accepts the DOT text printed without --svg.
        let dotPath = directory + "/graph.dot"
        writeTextFile(dotPath, runChildProcess(Self.binary, arguments: ["graph", path]).standardOutput)
        let rendered = runChildProcess(try #require(Self.dot), arguments: ["-Tsvg", dotPath])
        #expect(rendered.status == 0, "\(rendered.standardError)")
        #expect(rendered.standardOutput.contains("<svg"))
    }

    @Test("--svg without Graphviz on PATH: one clear error line, status 1, no file written")
    func svgWithoutGraphviz() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let (path, _) = try Self.recordDemoGraph(in: directory)
        let svgPath = directory + "/graph.svg"
        let result = runChildProcess(
            Self.binary, arguments: ["graph", path, "--svg", svgPath], environment: ["PATH": directory])
        #expect(result.status == 1)
        #expect(result.standardOutput.isEmpty)
        #expect(
            result.standardError.hasPrefix(
                "lockorder graph: --svg needs Graphviz's dot, which is not on PATH"))
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
        #expect(readFileBytes(svgPath) == nil)
    }

    @Test("names are escaped, read-write modes shown, and each cycle numbered, in a hand-written file")
    func escapingModesAndSeveralCycles() throws {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let path = directory + "/graph.json"
        let awkward = #"say "hi" \ bye"#
        writeTextFile(
            path,
            #"""
            {
              "schema": 1,
              "classes": [
                {"name": "say \"hi\" \\ bye", "level": 4},
                {"name": "cache", "level": null},
                {"name": "index"}
              ],
              "edges": [
                {"from": "say \"hi\" \\ bye", "to": "cache", "modes": "shared then exclusive", "count": 12,
                 "heldAt": "App/A.swift:1", "acquiredAt": "App/A.swift:2", "thread": "thread 2 (tid 9, \"w\")"},
                {"from": "cache", "to": "index", "count": 1,
                 "heldAt": "App/B.swift:3", "acquiredAt": "App/B.swift:4", "thread": "thread 3 (tid 10)"}
              ],
              "violations": [
                {"kind": "order_cycle", "message": "m1", "count": 1,
                 "cycle": [["cache", "say \"hi\" \\ bye"], ["say \"hi\" \\ bye", "cache"]]},
                {"kind": "order_cycle", "message": "m2", "count": 3,
                 "cycle": [["index", "cache"], ["cache", "index"]]},
                {"kind": "level_inversion", "message": "m3", "count": 1}
              ]
            }
            """#)
        let result = runChildProcess(Self.binary, arguments: ["graph", path])
        #expect(result.status == 0, "\(result.standardError)")
        let dot = try DOTGraph.parse(result.standardOutput)
        let awkwardNode = try #require(dot.node(named: awkward))
        #expect(dot.labelLines(ofNode: awkwardNode) == [awkward, "level 4"])
        let cache = try #require(dot.node(named: "cache"))
        let index = try #require(dot.node(named: "index"))
        #expect(dot.labelLines(ofNode: index) == ["index", "undeclared"])
        let shared = try #require(dot.edges.first { $0.from == awkwardNode && $0.to == cache })
        #expect(
            shared.attributes["label"]
                == "12 times\nshared then exclusive\nheld at App/A.swift:1\nacquired at App/A.swift:2")
        #expect(shared.attributes["tooltip"] == #"first seen by thread 2 (tid 9, "w")"#)
        #expect(shared.attributes["xlabel"] == "order cycle 1")
        let second = try #require(dot.edges.first { $0.from == cache && $0.to == index })
        #expect(second.attributes["xlabel"] == "order cycle 2")
        let refused = dot.edges.filter { $0.attributes["style"] == "dashed" }
        #expect(Set(refused.map { [$0.from, $0.to] }) == [[cache, awkwardNode], [index, cache]])
        #expect(refused.allSatisfy { $0.attributes["color"] == "red" })
        #expect(dot.edges.count == 4)
    }

    @Test(
        "bad input: one clear error line, status 1, nothing on stdout, no crash",
        arguments: [
            ("missing", nil, "cannot open file: No such file or directory"),
            ("text.json", "this is not JSON\n", "is not a lockorder graph file"),
            ("empty.json", "", "is not a lockorder graph file"),
            ("report.json", #"{"schema": 1, "kind": "order_cycle"}"#, "missing required key 'classes'"),
            ("wrong-type.json", #"{"schema": 1, "classes": {}, "edges": [], "violations": []}"#, "expected"),
            (
                "future.json", #"{"schema": 2, "classes": [], "edges": [], "violations": []}"#,
                "graph schema 2"
            ),
        ] as [(String, String?, String)]
    )
    func badInput(file: String, contents: String?, expected: String) {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let path = directory + "/" + file
        if let contents { writeTextFile(path, contents) }
        let result = runChildProcess(Self.binary, arguments: ["graph", path])
        #expect(result.status == 1, "status \(result.status): \(result.standardError)")
        #expect(result.standardOutput.isEmpty)
        let lines = result.standardError.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "exactly one line: \(result.standardError)")
        #expect(result.standardError.hasPrefix("lockorder graph: "))
        #expect(result.standardError.contains(expected), "\(result.standardError)")
        #expect(result.standardError.contains("'\(path)'"), "the line names the file")
    }

    @Test("a directory instead of a file is bad input too")
    func directoryIsBadInput() {
        let directory = makeScratchDirectory()
        defer { removeTree(directory) }
        let result = runChildProcess(Self.binary, arguments: ["graph", directory])
        #expect(result.status == 1)
        #expect(result.standardError == "lockorder graph: '\(directory)': cannot read file: Is a directory\n")
    }
}
