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

    /// `File.swift:line`; a site the pthread interposer made (its "file" is an operation in
    /// angle brackets, its "line" a code address or a class key) prints as `<operation> 0xHEX`.
    public var description: String { Self.format(file: fileID.description, line: line) }

    /// Whether the pthread interposer made the site (its "file" is an operation in angle
    /// brackets, not a `#fileID`).
    package var isInterposed: Bool {
        fileID.utf8CodeUnitCount > 0 && fileID.utf8Start.pointee == UInt8(ascii: "<")
    }

    /// How a site's file and line are shown (also for held entries, which keep them apart).
    package static func format(file: String, line: UInt) -> String {
        file.hasPrefix("<") ? "\(file) 0x\(String(line, radix: 16))" : "\(file):\(line)"
    }

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
