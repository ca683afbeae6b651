/// Something a thread does that may be forbidden while holding certain locks.
/// Encoded in JSON as its raw string; names other than the built-in ones are
/// allowed, for operations that a client reports itself.
public struct ThreadOperation: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The operation's name, as JSON hierarchy files and reports spell it.
    public let rawValue: String

    /// An operation by name; a hierarchy may declare its own.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Input or output, including printing warnings or debug information.
    public static let io = ThreadOperation(rawValue: "io")
    /// Reaching a safepoint (where the garbage collector may run).
    public static let safepoint = ThreadOperation(rawValue: "safepoint")
    /// Allocating managed memory (which may hit a safepoint).
    public static let allocation = ThreadOperation(rawValue: "allocation")
    /// Switching to another task.
    public static let taskSwitch = ThreadOperation(rawValue: "task_switch")

    /// The operation's name.
    public var description: String { rawValue }

    /// Reads the operation from a JSON string.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Writes the operation as a JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The earlier name of ``ThreadOperation``, which clashed with Foundation's `Operation` in every
/// file that imports both.
@available(*, deprecated, renamed: "ThreadOperation")
public typealias Operation = ThreadOperation
