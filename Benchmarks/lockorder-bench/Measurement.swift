#if canImport(Glibc)
    import Glibc
#endif

/// Times a body that performs `operations` operations, `repetitions` times, and keeps the
/// nanoseconds per operation of each repetition.
struct Measurement {
    let name: String
    let samples: [Double]

    var median: Double {
        let sorted = samples.sorted()
        return sorted[sorted.count / 2]
    }
    var minimum: Double { samples.min() ?? 0 }
    var maximum: Double { samples.max() ?? 0 }

    static func run(_ name: String, operations: Int, repetitions: Int, _ body: (Int) -> Void) -> Measurement {
        body(max(operations / 20, 1))  // warm-up: caches, first-time slow paths, page faults
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let start = monotonicNanoseconds()
            body(operations)
            let elapsed = monotonicNanoseconds() - start
            samples.append(Double(elapsed) / Double(operations))
        }
        return Measurement(name: name, samples: samples)
    }
}

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Keeps a value alive so the optimizer cannot drop the work that produced it.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// A counter the critical sections increment, so they are not empty.
final class Counter: @unchecked Sendable {
    var value = 0
}

func format(_ value: Double, decimals: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let fraction = text[text.index(after: dot)...]
        if fraction.count < decimals { text += String(repeating: "0", count: decimals - fraction.count) }
    } else if decimals > 0 {
        text += "." + String(repeating: "0", count: decimals)
    }
    return text
}

func padded(_ text: String, _ width: Int, left: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return left ? text + padding : padding + text
}
