/// An option of a lock operation that may acquire a lock implicitly.
///
/// Julia: `JL_LOCK`/`JL_UNLOCK` are safepoints (option ``safepoint``) and so
/// implicitly take `safepoint_lock`; the `_NOGC` variants are not.
/// Encoded in JSON as its raw string.
public struct LockOption: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The option's name, as JSON hierarchy files spell it.
    public let rawValue: String

    /// An option by name.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The acquisition or release is a safepoint.
    public static let safepoint = LockOption(rawValue: "safepoint")

    /// The option's name.
    public var description: String { rawValue }

    /// Reads the option from a JSON string.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Writes the option as a JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
