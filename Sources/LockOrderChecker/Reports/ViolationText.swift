/// Formats a violation for people: the headline first, then everything needed to fix the bug
/// without a debugger.
enum ViolationText {
    static func format(_ violation: Violation) -> String {
        let legend = LockLegend(violation)
        /// A lock's class is named unless the `locks:` section already says which it is.
        func summary(_ lock: LockSnapshot) -> String {
            lock.summary(classLabel: legend.explains(lock) ? nil : legend.label(lock.className))
        }
        var lines = ["lockorder: \(violation.message)"]
        lines.append("  thread: \(FindingText.thread(violation.thread, frames: violation.frames))")
        if let lock = violation.lock {
            lines.append("  lock: \(summary(lock)) at \(violation.site)")
        } else {
            lines.append("  at: \(violation.site)")
        }
        if violation.held.isEmpty {
            lines.append("  held: nothing")
        } else {
            lines.append("  held (most recent first):")
            for held in violation.held {
                lines.append("    \(summary(held)), acquired at \(held.site ?? "?")")
            }
        }
        lines += FindingText.legendLines(legend)
        lines.append("  rule: \(violation.rule)")
        if let exception = violation.exception { lines.append("  exception: \(exception)") }
        if let missingGuard = violation.missingGuard { lines.append("  missing guard: \(missingGuard)") }
        if let operation = violation.operation { lines.append("  operation: \(operation)") }
        if let runtimeLocks = violation.runtimeLocks, !runtimeLocks.isEmpty {
            lines.append("  locked by:")
            for runtimeLock in runtimeLocks { lines.append("    \(runtimeLock.summary)") }
        }
        if let cycle = violation.cycle, violation.kind == .deadlock {
            WaitText.appendThreads(cycle, to: &lines)
        } else if let cycle = violation.cycle {
            lines.append("  cycle (each edge where it was first seen):")
            for edge in cycle {
                lines += FindingText.cycleEdgeLines(edge, legend: legend)
                lines += frameLines(edge.frames, indent: "        ")
            }
        }
        if let rows = violation.deadlock { lines += FindingText.deadlockLines(rows) }
        lines.append("  backtrace:")
        if violation.frames.isEmpty { lines.append("    (no frames)") }
        lines += frameLines(violation.frames, indent: "    ")
        if let creator = violation.createdBy {
            lines.append("  thread created by \(creator), at:")
            lines += frameLines(violation.creationFrames ?? [], indent: "    ")
        }
        lines.append("  hint: \(violation.hint)")
        // Each line is one line: a control character in a name or a path is shown escaped.
        return lines.map(TerminalText.escaped).flatMap(wrapped).joined(separator: "\n") + "\n"
    }

    /// A stack's lines, innermost first: `#K FRAME` for each frame the text shows, K being the
    /// frame's index in the JSON `frames`, and one `(N frames folded)` line in place of each
    /// run of frames it leaves out (lockorder's own and compiler glue, `Frame.isFolded`).
    package static func frameLines(_ frames: [Frame], indent: String) -> [String] {
        var lines: [String] = []
        var folded = 0
        func endRun() {
            if folded > 0 { lines.append("\(indent)(\(folded) frame\(folded == 1 ? "" : "s") folded)") }
            folded = 0
        }
        for (index, frame) in frames.enumerated() {
            if frame.isFolded {
                folded += 1
            } else {
                endRun()
                lines.append("\(indent)#\(index) \(frame.formatted)")
            }
        }
        endRun()
        return lines
    }

    /// The widest line a report prints, frames and the headline aside.
    static let lineWidth = 120

    /// A line wider than `lineWidth` broken at spaces, each continuation indented four more
    /// columns than the line; the headline (one line for `grep '^lockorder: '`) and frames
    /// (`#K 0x...`) are left whole, and so is a word wider than the line.
    static func wrapped(_ line: String) -> [String] {
        guard line.count > lineWidth, !line.hasPrefix("lockorder: ") else { return [line] }
        let indent = line.prefix { $0 == " " }
        if line.dropFirst(indent.count).hasPrefix("#") { return [line] }
        let continuation = String(indent) + "    "
        var result: [String] = []
        var current = ""
        for word in line.dropFirst(indent.count).split(separator: " ", omittingEmptySubsequences: false) {
            let prefix = result.isEmpty ? String(indent) : continuation
            if current.isEmpty {
                current = prefix + word
            } else if current.count + 1 + word.count > lineWidth {
                result.append(current)
                current = continuation + word
            } else {
                current += " " + word
            }
        }
        result.append(current)
        return result
    }
}
