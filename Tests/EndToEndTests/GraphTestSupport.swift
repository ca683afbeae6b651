#if canImport(Glibc)
    import Glibc
#endif

/// A fresh temporary directory, removed by `removeTree`.
func makeScratchDirectory() -> String {
    var template = Array("/tmp/lockorder-graph-test-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!) != nil }
    precondition(made, "mkdtemp failed: \(errno)")
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// Removes the files of a flat directory, then the directory.
func removeTree(_ directory: String) {
    if let stream = opendir(directory) {
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { unlink(directory + "/" + name) }
        }
        closedir(stream)
    }
    rmdir(directory)
}

/// Writes a whole file; true on success.
@discardableResult
func writeTextFile(_ path: String, _ text: String) -> Bool {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            return false
        }
        offset += written
    }
    return true
}

/// A whole file's bytes, nil when it cannot be read.
func readFileBytes(_ path: String) -> [UInt8]? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(descriptor, &buffer, buffer.count)
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        bytes += buffer[0..<count]
    }
    return bytes
}

/// The path of an executable named `name` on PATH, if any.
func executableOnPath(_ name: String) -> String? {
    let path = getenv("PATH").map { String(cString: $0) } ?? ""
    for directory in path.split(separator: ":") where !directory.isEmpty {
        let candidate = "\(directory)/\(name)"
        if access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
}

/// The statements of a Graphviz DOT file, read by a strict parser of the subset `lockorder
/// graph` writes: `digraph ID { stmt* }` where a statement is `graph|node|edge [attrs];`,
/// `ID [attrs];` or `ID -> ID [attrs];`. Comments are `//` lines. Anything else is a syntax error,
/// so a malformed picture fails the test instead of slipping through a substring check.
struct DOTGraph {
    struct Edge {
        let from: String
        let to: String
        let attributes: [String: String]
    }

    var name = ""
    /// Node id -> attributes (values unescaped: `\n` is a newline, `\"` a quote, `\\` a backslash).
    var nodes: [String: [String: String]] = [:]
    var nodeOrder: [String] = []
    var edges: [Edge] = []
    /// Attributes of the `graph`, `node` and `edge` default statements.
    var defaults: [String: [String: String]] = [:]

    struct SyntaxError: Error, CustomStringConvertible {
        let description: String
    }

    private enum Token: Equatable {
        case identifier(String)
        case string(String)
        case symbol(String)
    }

    static func parse(_ text: String) throws -> DOTGraph {
        var tokens = try tokenize(text)[...]
        func next() throws -> Token {
            guard let token = tokens.popFirst() else {
                throw SyntaxError(description: "unexpected end of file")
            }
            return token
        }
        func expect(_ symbol: String) throws {
            let token = try next()
            guard token == .symbol(symbol) else {
                throw SyntaxError(description: "expected '\(symbol)', got \(token)")
            }
        }
        func identifier() throws -> String {
            guard case .identifier(let name) = try next() else {
                throw SyntaxError(description: "expected an id")
            }
            return name
        }
        func attributes() throws -> [String: String] {
            var result: [String: String] = [:]
            guard tokens.first == .symbol("[") else { return result }
            try expect("[")
            while tokens.first != .symbol("]") {
                let key = try identifier()
                try expect("=")
                switch try next() {
                case .identifier(let value), .string(let value):
                    guard result.updateValue(value, forKey: key) == nil else {
                        throw SyntaxError(description: "attribute \(key) given twice")
                    }
                case .symbol(let symbol):
                    throw SyntaxError(description: "attribute \(key) has value '\(symbol)'")
                }
                if tokens.first == .symbol(",") { _ = try next() }
            }
            try expect("]")
            return result
        }

        var graph = DOTGraph()
        guard try identifier() == "digraph" else { throw SyntaxError(description: "not a digraph") }
        graph.name = try identifier()
        try expect("{")
        while tokens.first != .symbol("}") {
            let head = try identifier()
            if ["graph", "node", "edge"].contains(head) {
                graph.defaults[head] = try attributes()
            } else if tokens.first == .symbol("->") {
                try expect("->")
                let to = try identifier()
                guard graph.nodes[head] != nil, graph.nodes[to] != nil else {
                    throw SyntaxError(description: "edge \(head) -> \(to) names an undeclared node")
                }
                graph.edges.append(Edge(from: head, to: to, attributes: try attributes()))
            } else {
                guard graph.nodes[head] == nil else {
                    throw SyntaxError(description: "node \(head) declared twice")
                }
                graph.nodes[head] = try attributes()
                graph.nodeOrder.append(head)
            }
            try expect(";")
        }
        try expect("}")
        guard tokens.isEmpty else { throw SyntaxError(description: "text after the closing brace") }
        return graph
    }

    private static func tokenize(_ text: String) throws -> [Token] {
        var tokens: [Token] = []
        var characters = Array(text)[...]
        while let character = characters.first {
            if character.isWhitespace {
                characters.removeFirst()
            } else if character == "/" {
                guard characters.dropFirst().first == "/" else { throw SyntaxError(description: "stray '/'") }
                while let skipped = characters.popFirst(), skipped != "\n" {}
            } else if character == "\"" {
                characters.removeFirst()
                var value = ""
                var closed = false
                while let inner = characters.popFirst() {
                    if inner == "\"" {
                        closed = true
                        break
                    }
                    if inner == "\\" {
                        guard let escaped = characters.popFirst() else { break }
                        switch escaped {
                        case "n": value.append("\n")
                        case "\"", "\\": value.append(escaped)
                        default: throw SyntaxError(description: "unknown escape \\\(escaped) in a string")
                        }
                    } else if inner.isNewline {
                        throw SyntaxError(description: "a raw newline inside a string")
                    } else {
                        value.append(inner)
                    }
                }
                guard closed else { throw SyntaxError(description: "unterminated string") }
                tokens.append(.string(value))
            } else if character == "-" && characters.dropFirst().first == ">" {
                characters.removeFirst(2)
                tokens.append(.symbol("->"))
            } else if "{}[]=;,".contains(character) {
                characters.removeFirst()
                tokens.append(.symbol(String(character)))
            } else if character.isLetter || character.isNumber || character == "_" || character == "." {
                var name = ""
                while let part = characters.first,
                    part.isLetter || part.isNumber || part == "_" || part == "."
                {
                    name.append(part)
                    characters.removeFirst()
                }
                tokens.append(.identifier(name))
            } else {
                throw SyntaxError(description: "unexpected character '\(character)'")
            }
        }
        return tokens
    }

    /// The label of a node, split into its lines.
    func labelLines(ofNode id: String) -> [String] {
        (nodes[id]?["label"] ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The node whose label's first line is `className`.
    func node(named className: String) -> String? {
        nodeOrder.first { labelLines(ofNode: $0).first == className }
    }
}
