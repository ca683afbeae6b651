/// Formats a violation for people: the headline first, then everything needed to fix the bug
/// without a debugger.
enum ViolationText {
    static func format(_ violation: Violation) -> String {
        var lines = ["lockorder: \(violation.message)"]
        lines.append("  thread: \(violation.thread)")
        if let lock = violation.lock {
            lines.append("  lock: \(lock.summary) at \(violation.site)")
        } else {
            lines.append("  at: \(violation.site)")
        }
        if violation.held.isEmpty {
            lines.append("  held: nothing")
        } else {
            lines.append("  held (most recent first):")
            for held in violation.held {
                lines.append("    \(held.summary), acquired at \(held.site ?? "?")")
            }
        }
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
                let modes = edge.modes.map { " [\($0)]" } ?? ""
                lines.append(
                    "    \(edge.from) -> \(edge.to)\(modes): \(edge.from) held at \(edge.heldAt), "
                        + "\(edge.to) acquired at \(edge.acquiredAt), \(edge.thread)")
                if edge.frames.isEmpty {
                    if edge.thread == CycleEdge.thisAcquisition {
                        lines.append("      \(edge.tookBoth); its stack is the backtrace below")
                    }
                } else {
                    lines.append("      \(edge.tookBoth); its stack then:")
                }
                for (index, frame) in edge.frames.enumerated() {
                    lines.append("        #\(index) \(frame.formatted)")
                }
            }
        }
        if let rows = violation.deadlock { lines += FindingText.deadlockLines(rows) }
        lines.append("  backtrace:")
        if violation.frames.isEmpty { lines.append("    (no frames)") }
        for (index, frame) in violation.frames.enumerated() {
            lines.append("    #\(index) \(frame.formatted)")
        }
        lines.append("  hint: \(violation.hint)")
        // Each line is one line: a control character in a name or a path is shown escaped.
        return lines.map(TerminalText.escaped).joined(separator: "\n") + "\n"
    }
}
