/// A lock level as found in JSON. Decoding it reports numbers that are not
/// integers, or do not fit in `Int`, at their own key path (the plain `Int`
/// decoding of FoundationEssentials reports those as "not valid JSON" with no
/// path at all).
struct LevelValue: Decodable {
    let value: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            value = try container.decode(Int.self)
        } catch let error as DecodingError {
            throw error
        } catch {
            // A JSON number that is not representable as Int.
            if let number = try? container.decode(Double.self) {
                let problem =
                    number.rounded() == number && number.isFinite
                    ? "level \(number) is out of range \(LockHierarchy.levelRangeText)"
                    : "level \(number) is not an integer"
                throw JSONFailure(codingPath: decoder.codingPath, problem: problem)
            }
            throw JSONFailure(codingPath: decoder.codingPath, problem: "expected an integer level")
        }
    }
}
