import LockCore

/// The container rows of `make bench-instructions`: each checked container operation beside the
/// plain collection's, so what checking off adds per element is counted exactly (issue 18's
/// bound: no more than a branch). One operation is one element appended, read or iterated.
enum ContainerInstructionVariants {
    /// An array the timed bodies can change (a closure cannot capture a `var` it escapes with).
    final class ArrayBox {
        var values: [Int] = []
    }

    /// An array behind a check whose rare failing branch calls out of line, as `CheckedArray`'s
    /// mutations are: the plain collection plus "one branch". The call the optimizer cannot see
    /// into is what costs: `Array`'s append in a loop of its own keeps its buffer in registers
    /// and checks uniqueness once, while after a possible call it must reload the buffer and ask
    /// the runtime again (`swift_isUniquelyReferenced_nonNull_native`) on every append.
    final class GuardedArrayBox {
        @exclusivity(unchecked) var values: [Int] = []
        var locks = 0

        @inline(never) func mayModifySlowly() -> Bool {
            values.reserveCapacity(values.count)
            return locks == 0
        }
    }

    static func variants() -> [InterleavedVariant] {
        let shuffled = Array(0..<1024).shuffled()
        var variants: [InterleavedVariant] = [
            InterleavedVariant(name: "append, Array", baseline: nil, checking: .off) {
                let box = ArrayBox()
                return { count in
                    for index in 0..<count { box.values.append(index) }
                    blackHole(box.values.count)
                    box.values.removeAll(keepingCapacity: true)
                }
            },
            InterleavedVariant(
                name: "append, Array behind a rare out-of-line check", baseline: "append, Array",
                checking: .off
            ) {
                let box = GuardedArrayBox()
                return { count in
                    for index in 0..<count where _fastPath(box.locks == 0) || box.mayModifySlowly() {
                        box.values.append(index)
                    }
                    blackHole(box.values.count)
                    box.values.removeAll(keepingCapacity: true)
                }
            },
            InterleavedVariant(name: "subscript read, Array", baseline: nil, checking: .off) {
                let values = shuffled
                return { count in
                    var sum = 0
                    for index in 0..<count { sum &+= values[index & 1023] }
                    containerSink.value &+= sum
                }
            },
            InterleavedVariant(name: "for-in over 1,024 elements, Array", baseline: nil, checking: .off) {
                let values = shuffled
                return { count in
                    var sum = 0
                    for _ in 0..<(count / 1024) { for value in values { sum = sum &* 31 &+ value } }
                    containerSink.value &+= sum
                }
            },
        ]
        for checking in [CheckingVariant.off, .levels] {
            let label = checking == .off ? "checking off" : "checking on"
            variants += [
                InterleavedVariant(
                    name: "append, CheckedArray, \(label)", baseline: "append, Array", checking: checking
                ) {
                    let checked = CheckedArray<Int>()
                    return { count in
                        for index in 0..<count { checked.append(index) }
                        blackHole(checked.count)
                        checked.removeAll(keepingCapacity: true)
                    }
                },
                InterleavedVariant(
                    name: "subscript read, CheckedArray, \(label)", baseline: "subscript read, Array",
                    checking: checking
                ) {
                    let checked = CheckedArray(shuffled)
                    return { count in
                        var sum = 0
                        for index in 0..<count { sum &+= checked[index & 1023] }
                        containerSink.value &+= sum
                    }
                },
                InterleavedVariant(
                    name: "for-in over 1,024 elements, CheckedArray, \(label)",
                    baseline: "for-in over 1,024 elements, Array", checking: checking
                ) {
                    let checked = CheckedArray(shuffled)
                    return { count in
                        var sum = 0
                        for _ in 0..<(count / 1024) { for value in checked { sum = sum &* 31 &+ value } }
                        containerSink.value &+= sum
                    }
                },
            ]
        }
        return variants
    }
}
