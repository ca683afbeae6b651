/// Where in the source a lock operation was written: `#fileID` and `#line`, captured for free
/// by default arguments.
public struct SourceSite: Sendable, Hashable, CustomStringConvertible {
    /// The `#fileID` of the call, for example `MyApp/Cache.swift`.
    public let fileID: StaticString
    /// The `#line` of the call.
    public let line: UInt

    /// Creates a site; pass `#fileID` and `#line` through from your own default arguments.
    @inlinable
    public init(fileID: StaticString = #fileID, line: UInt = #line) {
        self.fileID = fileID
        self.line = line
    }

    /// `File.swift:line`.
    public var description: String { "\(fileID):\(line)" }

    /// Same file and line.
    public static func == (lhs: SourceSite, rhs: SourceSite) -> Bool {
        lhs.line == rhs.line && lhs.fileID.description == rhs.fileID.description
    }

    /// Hashes the file and line.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(fileID.description)
        hasher.combine(line)
    }
}
