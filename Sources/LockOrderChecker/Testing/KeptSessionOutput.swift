extension LockOrder {
    /// Keeps what a checked test's session learned and reported for the process's output files,
    /// which a session otherwise leaves alone: `learned` is merged into `LOCKORDER_GRAPH_FILE`
    /// at exit (by class name, with the process's own order), and each of `violations` is
    /// appended to `LOCKORDER_REPORT_FILE` now, as a JSON line. Files that are not configured
    /// are skipped; with neither, nothing happens.
    ///
    /// Call it after `Session.end()` (the test framework's trait does): the session's class ids
    /// are turned into names at once, so a lock destroyed later does not change them. Pass only
    /// what the test did not expect: a test that breaks the order on purpose should keep nothing,
    /// or `lockorder check` finds its cycle in the merged file.
    public static func keepForOutputFiles(learned: LearnedState?, violations: [Violation]) {
        let checker = CheckerState.shared
        let descriptor = SlowPathLock.withLock {
            checker.tables.withLock { tables -> Int32 in
                if tables.configuration.graphFilePath != nil, let learned {
                    let snapshot = tables.learnedOrderSnapshot(order: learned.order, violations: violations)
                    tables.keptFromSessions =
                        tables.keptFromSessions?.merging(snapshot, droppingTransient: false) ?? snapshot
                }
                return tables.reporter.jsonFileDescriptor
            }
        }
        guard descriptor >= 0 else { return }
        // Written outside the checker's locks, as every report line is.
        for violation in violations {
            let error = ReportEncoding.appendLine(violation, to: descriptor)
            if error != 0 {
                if checker.tables.withLock({ $0.reporter.noteLostReportFileLine() }) {
                    checker.announceReportFileFailure(error)
                }
            }
        }
    }
}
