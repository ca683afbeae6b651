import LockCore

/// Section 6: the checked containers beside the plain collections they wrap, with checking off
/// and on (docs/containers.md). The ratio column is to the plain `Array` or `Dictionary` row of
/// the same operation.
enum ContainerWorkloads {
    static let arraySection = "checked containers: CheckedArray vs Array (ns per element operation)"
    static let dictionarySection = "checked containers: CheckedDictionary vs Dictionary (ns per operation)"

    static func run(_ options: BenchOptions, _ report: BenchReport) {
        print("\n== 7. checked containers (ratios to the plain collection)")
        report.ratioLabels[arraySection] = "ratio to Array"
        report.ratioLabels[dictionarySection] = "ratio to Dictionary"
        runArray(options, report)
        runDictionary(options, report)
    }

    /// Times `body` once per checking variant: checking off, and on (levels; containers take no
    /// part in the learned graph).
    static func measureChecked(
        _ name: String, _ options: BenchOptions, _ body: @escaping (Int) -> Void
    ) -> (off: Measurement, on: Measurement) {
        let off = Measurement.run(
            "\(name), checking off", operations: options.operations, repetitions: options.repetitions, body)
        var on: Measurement?
        CheckingVariant.levels.run {
            on = Measurement.run(
                "\(name), checking on", operations: options.operations, repetitions: options.repetitions, body
            )
        }
        return (off, on!)
    }

    static func runArray(_ options: BenchOptions, _ report: BenchReport) {
        let section = arraySection
        // append: n appends, then the storage is emptied keeping its capacity.
        var plain: [Int] = []
        let appendPlain = Measurement.run(
            "append, Array", operations: options.operations, repetitions: options.repetitions
        ) { count in
            for index in 0..<count { plain.append(index) }
            blackHole(plain.count)
            plain.removeAll(keepingCapacity: true)
        }
        report.add(section, appendPlain, baseline: appendPlain.median)
        let checked = CheckedArray<Int>()
        let append = measureChecked("append, CheckedArray", options) { count in
            for index in 0..<count { checked.append(index) }
            blackHole(checked.count)
            checked.removeAll(keepingCapacity: true)
        }
        report.add(section, append.off, baseline: appendPlain.median)
        report.add(section, append.on, baseline: appendPlain.median)

        // subscript: reads of a 1,024-element array.
        let values = Array(0..<1024).shuffled()
        let subscriptPlain = Measurement.run(
            "subscript read, Array", operations: options.operations, repetitions: options.repetitions
        ) { count in
            var sum = 0
            for index in 0..<count { sum &+= values[index & 1023] }
            containerSink.value &+= sum
        }
        report.add(section, subscriptPlain, baseline: subscriptPlain.median)
        let checkedValues = CheckedArray(values)
        let subscriptChecked = measureChecked("subscript read, CheckedArray", options) { count in
            var sum = 0
            for index in 0..<count { sum &+= checkedValues[index & 1023] }
            containerSink.value &+= sum
        }
        report.add(section, subscriptChecked.off, baseline: subscriptPlain.median)
        report.add(section, subscriptChecked.on, baseline: subscriptPlain.median)

        // iteration: for-in loops over 1,024 elements (one lock per loop), per element. The data
        // are shuffled so that the optimizer cannot fold the sums of known constants.
        let iterationPlain = Measurement.run(
            "for-in over 1,024 elements, Array", operations: options.operations,
            repetitions: options.repetitions
        ) { count in
            var sum = 0
            for _ in 0..<(count / 1024) { for value in values { sum = sum &* 31 &+ value } }
            containerSink.value &+= sum
        }
        report.add(section, iterationPlain, baseline: iterationPlain.median)
        let iteration = measureChecked("for-in over 1,024 elements, CheckedArray", options) { count in
            var sum = 0
            for _ in 0..<(count / 1024) { for value in checkedValues { sum = sum &* 31 &+ value } }
            containerSink.value &+= sum
        }
        report.add(section, iteration.off, baseline: iterationPlain.median)
        report.add(section, iteration.on, baseline: iterationPlain.median)

        // short loops: for-in over 8 elements, per element (the per-loop lock shows here).
        let short = Array(0..<8).shuffled()
        let shortPlain = Measurement.run(
            "for-in over 8 elements, Array", operations: options.operations, repetitions: options.repetitions
        ) { count in
            var sum = 0
            for _ in 0..<(count / 8) { for value in short { sum = sum &* 31 &+ value } }
            containerSink.value &+= sum
        }
        report.add(section, shortPlain, baseline: shortPlain.median)
        let checkedShort = CheckedArray(short)
        let shortChecked = measureChecked("for-in over 8 elements, CheckedArray", options) { count in
            var sum = 0
            for _ in 0..<(count / 8) { for value in checkedShort { sum = sum &* 31 &+ value } }
            containerSink.value &+= sum
        }
        report.add(section, shortChecked.off, baseline: shortPlain.median)
        report.add(section, shortChecked.on, baseline: shortPlain.median)
    }

    static func runDictionary(_ options: BenchOptions, _ report: BenchReport) {
        let section = dictionarySection
        // insert: set 1,024 keys again and again (the table stays at 1,024 entries).
        var plain: [Int: Int] = [:]
        let insertPlain = Measurement.run(
            "[]= on 1,024 keys, Dictionary", operations: options.operations, repetitions: options.repetitions
        ) { count in
            for index in 0..<count { plain[index & 1023] = index }
            blackHole(plain.count)
        }
        report.add(section, insertPlain, baseline: insertPlain.median)
        let checked = CheckedDictionary<Int, Int>()
        let insert = measureChecked("[]= on 1,024 keys, CheckedDictionary", options) { count in
            for index in 0..<count { checked[index & 1023] = index }
            blackHole(checked.count)
        }
        report.add(section, insert.off, baseline: insertPlain.median)
        report.add(section, insert.on, baseline: insertPlain.median)

        // lookup through [].
        let lookupPlain = Measurement.run(
            "[] read, Dictionary", operations: options.operations, repetitions: options.repetitions
        ) { count in
            var sum = 0
            for index in 0..<count { sum &+= plain[index & 1023] ?? 0 }
            containerSink.value &+= sum
        }
        report.add(section, lookupPlain, baseline: lookupPlain.median)
        let lookup = measureChecked("[] read, CheckedDictionary", options) { count in
            var sum = 0
            for index in 0..<count { sum &+= checked[index & 1023] ?? 0 }
            containerSink.value &+= sum
        }
        report.add(section, lookup.off, baseline: lookupPlain.median)
        report.add(section, lookup.on, baseline: lookupPlain.median)
        let find = measureChecked("find (locks while it looks), CheckedDictionary", options) { count in
            var sum = 0
            for index in 0..<count { sum &+= checked.find(index & 1023) { $0 ?? 0 } }
            containerSink.value &+= sum
        }
        report.add(section, find.off, baseline: lookupPlain.median)
        report.add(section, find.on, baseline: lookupPlain.median)

        // values iteration over 1,024 entries, per entry.
        let valuesPlain = Measurement.run(
            "values over 1,024 entries, Dictionary", operations: options.operations,
            repetitions: options.repetitions
        ) { count in
            var sum = 0
            for _ in 0..<(count / 1024) { for value in plain.values { sum = sum &* 31 &+ value } }
            containerSink.value &+= sum
        }
        report.add(section, valuesPlain, baseline: valuesPlain.median)
        let values = measureChecked("values over 1,024 entries, CheckedDictionary", options) { count in
            var sum = 0
            for _ in 0..<(count / 1024) { for value in checked.values { sum = sum &* 31 &+ value } }
            containerSink.value &+= sum
        }
        report.add(section, values.off, baseline: valuesPlain.median)
        report.add(section, values.on, baseline: valuesPlain.median)
    }
}

/// Where the container rows leave their sums: a global the optimizer cannot prove unread (the
/// specialised `blackHole` drops an `Int` argument, and the loop that made it with it).
let containerSink = Counter()
