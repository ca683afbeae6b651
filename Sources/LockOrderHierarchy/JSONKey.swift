/// A coding key for any string, so that decoders can list and reject keys
/// they do not know.
struct JSONKey: CodingKey, Hashable {
    let stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) {
        stringValue = name
    }

    init(stringValue: String) {
        self.stringValue = stringValue
    }

    init?(intValue: Int) {
        return nil
    }
}

extension KeyedDecodingContainer where Key == JSONKey {
    /// Throws a ``JSONFailure`` at the first key (in sorted order) that is not
    /// in `allowed`.
    func rejectUnknownKeys(allowed: [String]) throws {
        let unknown = allKeys.map(\.stringValue).filter { !allowed.contains($0) }.sorted()
        if let first = unknown.first {
            throw JSONFailure(
                codingPath: codingPath + [JSONKey(first)],
                problem: "unknown key '\(first)' (expected \(allowed.joined(separator: ", ")))")
        }
    }
}
