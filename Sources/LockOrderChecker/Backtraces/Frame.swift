#if canImport(Glibc)
    import Glibc
#endif

/// One symbolicated stack frame of a report.
public struct Frame: Sendable, Hashable, Codable {
    /// The return address (or program counter of the innermost frame).
    public let address: UInt
    /// The function, demangled when it is a Swift symbol; nil when no symbol table names it.
    public let function: String?
    /// Bytes from the start of the function to `address`.
    public let offset: UInt
    /// The file name of the executable or shared object that contains the address.
    public let module: String?
    /// `file:line:column` (`file:line` when the column is unknown) when llvm-symbolizer or
    /// addr2line on PATH knows it (LOCKORDER_SYMBOLIZE, on by default); nil for a frame the
    /// text folds (`isFolded`).
    public var sourceLocation: String?
    /// The symbol as the binary spells it (mangled for Swift), used to tell the checker's own
    /// frames from the user's.
    let rawSymbol: String?

    /// Creates a frame.
    public init(
        address: UInt, function: String?, offset: UInt, module: String?, sourceLocation: String? = nil
    ) {
        self.init(address: address, function: function, offset: offset, module: module, rawSymbol: function)
        self.sourceLocation = sourceLocation
    }

    init(address: UInt, function: String?, offset: UInt, module: String?, rawSymbol: String?) {
        self.address = address
        self.function = function
        self.offset = offset
        self.module = module
        self.rawSymbol = rawSymbol
        self.sourceLocation = nil
    }

    enum CodingKeys: String, CodingKey {
        case address, function, offset, module, sourceLocation
    }

    /// Creates a frame from its JSON form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            address: try container.decode(UInt.self, forKey: .address),
            function: try container.decodeIfPresent(String.self, forKey: .function),
            offset: try container.decode(UInt.self, forKey: .offset),
            module: try container.decodeIfPresent(String.self, forKey: .module),
            rawSymbol: nil)
        sourceLocation = try container.decodeIfPresent(String.self, forKey: .sourceLocation)
    }

    /// Writes the frame's JSON form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(address, forKey: .address)
        try container.encodeIfPresent(function, forKey: .function)
        try container.encode(offset, forKey: .offset)
        try container.encodeIfPresent(module, forKey: .module)
        try container.encodeIfPresent(sourceLocation, forKey: .sourceLocation)
    }

    /// Whether the frame belongs to lockorder itself (the checker, the lock types or the C
    /// helpers), judged from the raw symbol's module prefix.
    var isLockOrderInternal: Bool {
        // The pthread interposer's library holds the checker and its wrappers: all of it is ours.
        if module == "libLockOrderInterpose.so" { return true }
        // A Swift executable's entry point is `MODULE_main`: a module called lockorder or
        // lockorder_something (the tool, a fixture) is not one of the C helpers.
        guard let symbol = rawSymbol, !symbol.hasSuffix("_main") else { return false }
        return Frame.internalSymbolPrefixes.contains { symbol.hasPrefix($0) }
    }

    /// Whether the frame is glue the compiler generated (reabstraction thunks, partial-apply
    /// forwarders, merged and outlined helpers, the C entry thunk of a `@convention(c)`
    /// function), which belongs to whichever code surrounds it.
    var isCompilerThunk: Bool {
        guard let function else { return false }
        return Frame.compilerThunkPrefixes.contains { function.hasPrefix($0) }
    }

    /// How the runtime's demangler begins the names of compiler-generated glue.
    private static let compilerThunkPrefixes = [
        "reabstraction thunk", "partial apply forwarder", "partial apply for ", "thunk for", "merged ",
        "outlined ", "@objc ",
    ]

    /// Whether the frame is in the C library or the dynamic loader (the process's and threads'
    /// start), whose source locations reports do not look up.
    var isInSystemLibrary: Bool {
        guard let module else { return false }
        return module.hasPrefix("libc.") || module.hasPrefix("ld-linux")
    }

    /// Whether a report's text leaves the frame out: lockorder's own frames and compiler glue,
    /// which say nothing about the user's code. The text numbers frames as the JSON does and
    /// shows each run of folded frames as one `(N frames folded)` line.
    package var isFolded: Bool { isLockOrderInternal || isCompilerThunk }

    /// Mangled Swift names begin with the module's length-prefixed name; the C helpers and
    /// libunwind have fixed prefixes.
    private static let internalSymbolPrefixes = [
        "$s16LockOrderChecker", "$s14LockOrderGraph", "$s18LockOrderHierarchy", "$s8LockCore",
        "$s19LockOrderContainers", "$s18LockOrderInterpose", "lockorder_", "_ULx86_64", "unw_backtrace",
    ]

    /// The frame as one line of a report, e.g. `0x55d0c1 main.run() + 42 (app)`.
    public var formatted: String {
        var line = "0x" + String(address, radix: 16)
        line += " " + (function ?? "???")
        if function != nil { line += " + \(offset)" }
        if let module { line += " (\(module))" }
        if let sourceLocation { line += " at \(Frame.shown(sourceLocation))" }
        return line
    }

    /// A source location as the text shows it: relative to the working directory when it is
    /// under it (as a compiler's diagnostics print it, so a report reads the same on every
    /// checkout), absolute elsewhere. The JSON keeps it absolute.
    static func shown(_ location: String) -> String {
        guard let directory = workingDirectory, location.hasPrefix(directory) else { return location }
        return String(location.dropFirst(directory.count))
    }

    /// The working directory with a trailing slash, read once (a report's paths do not move when
    /// the program changes directory later).
    private static let workingDirectory: String? = {
        guard let path = getcwd(nil, 0) else { return nil }
        defer { free(path) }
        let directory = String(cString: path)
        return directory == "/" ? nil : directory + "/"
    }()
}
