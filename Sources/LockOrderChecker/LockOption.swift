/// An option of a lock operation that may acquire a lock implicitly.
///
/// Julia: `JL_LOCK`/`JL_UNLOCK` are safepoints (option ``safepoint``) and so
/// implicitly take `safepoint_lock`; the `_NOGC` variants are not.
/// Encoded in JSON as its raw string.
public struct LockOption: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The acquisition or release is a safepoint.
    public static let safepoint = LockOption(rawValue: "safepoint")

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
