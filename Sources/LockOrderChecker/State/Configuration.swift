import CLockOrderSupport

#if canImport(Glibc)
    import Glibc
#endif

/// How checking was switched on, from the environment (docs/configuration in the README).
struct Configuration {
    /// LOCKORDER_GRAPH_FILE: where the learned graph is written at exit.
    var graphFilePath: String?
    /// LOCKORDER_REPORT_FILE once opened: its path and which file it is (the graph file must
    /// not be it).
    var reportFile: (path: String, file: OutputFiles.ReportFile)?
    /// LOCKORDER_GRAPH_BASELINE: the order of earlier runs, checked live (BaselineOrder).
    var baseline: BaselineOrder?
    /// LOCKORDER_SYMBOLIZE: file:line on frames through llvm-symbolizer or addr2line; on by
    /// default when one is on PATH (also in test sessions, which read only this variable when
    /// LOCKORDER_CHECK is off).
    var sourceLocations = SourceLocations.whenAvailable
    /// LOCKORDER_EXITCODE: the status a report-mode run that reported a violation ends with.
    var exitCode: Int32?

    /// A LOCKORDER_EXITCODE value (0 to 255), and a warning line for anything else (which keeps
    /// the program's own status).
    static func exitCode(fromValue value: String?) -> (code: Int32?, warning: String?) {
        guard let value, !value.isEmpty else { return (nil, nil) }
        if let code = Int32(value), (0...255).contains(code) { return (code, nil) }
        return (
            nil,
            "lockorder: LOCKORDER_EXITCODE=\(TerminalText.value(value)) is not a number from 0 to 255; "
                + "the program's own exit status is kept\n"
        )
    }

    /// The accepted values of each variable, for the warnings.
    static let checkValues = "unset, 0, off, 1, report, abort"
    static let switchValues = "0, off, 1, on"

    /// What a LOCKORDER_SYMBOLIZE value asks for, and a warning line for an unknown value
    /// (which keeps the default).
    static func sourceLocations(fromValue value: String?) -> (SourceLocations, String?) {
        switch value {
        case "1", "on": (.required, nil)
        case "0", "off": (.off, nil)
        default: (.whenAvailable, switchValue("LOCKORDER_SYMBOLIZE", value, default: true).1)
        }
    }

    /// The mode a LOCKORDER_CHECK value selects, and a warning line for an unknown value.
    static func mode(fromCheckValue value: String?) -> (mode: UInt8, warning: String?) {
        switch value {
        case nil, "", "0", "off": (UInt8(LOCKORDER_MODE_OFF), nil)
        case "1", "report": (UInt8(LOCKORDER_MODE_REPORT), nil)
        case "abort": (UInt8(LOCKORDER_MODE_ABORT), nil)
        case let other?:
            (
                UInt8(LOCKORDER_MODE_REPORT),
                "lockorder: LOCKORDER_CHECK=\(TerminalText.value(other)) is not one of \(checkValues); checking in report mode\n"
            )
        }
    }

    /// An on/off switch's value, and a warning line for an unknown value (which keeps `default`).
    static func switchValue(_ name: String, _ value: String?, default defaultValue: Bool) -> (Bool, String?) {
        switch value {
        case nil, "": (defaultValue, nil)
        case "1", "on": (true, nil)
        case "0", "off": (false, nil)
        case let other?:
            (
                defaultValue,
                "lockorder: \(name)=\(TerminalText.value(other)) is not one of \(switchValues); using \(defaultValue ? "on" : "off")\n"
            )
        }
    }
}

/// Reads an environment variable without Foundation.
func environmentValue(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(decoding: UnsafeRawBufferPointer(start: value, count: strlen(value)), as: UTF8.self)
}

extension CheckerState {
    /// Reads LOCKORDER_CHECK and the other variables the first time any lock is used.
    func configureFromEnvironment() {
        ForkHandlers.installOnce()
        var messages: [String] = []
        var stops = false
        tables.withLock { tables in
            guard lockorder_mode() == UInt8(LOCKORDER_MODE_UNCONFIGURED) else { return }
            let (mode, warning) = Configuration.mode(fromCheckValue: environmentValue("LOCKORDER_CHECK"))
            if let warning { messages.append(warning) }
            if mode != UInt8(LOCKORDER_MODE_OFF) {
                let applied = tables.applyEnvironment()
                messages += applied.messages
                stops = applied.stops
                if !stops { tables.installExitHooks() }
            } else {
                // Test sessions report with checking off outside them: they honour
                // LOCKORDER_SYMBOLIZE too, without a warning (checking off prints nothing).
                tables.configuration.sourceLocations =
                    Configuration.sourceLocations(fromValue: environmentValue("LOCKORDER_SYMBOLIZE")).0
            }
            lockorder_set_mode(mode)
        }
        for message in messages { StandardError.write(TerminalText.line(message)) }
        if stops {
            // LOCKORDER_HIERARCHY_STRICT: the hierarchy did not load; the line above said why.
            ReportOutput.flushWaiting()
            _exit(1)
        }
    }
}

extension CheckerTables {

    /// The variables that matter once checking is on; returns the lines to print, and whether
    /// the process must stop (a hierarchy that did not load under LOCKORDER_HIERARCHY_STRICT).
    fileprivate mutating func applyEnvironment() -> (messages: [String], stops: Bool) {
        var messages: [String] = []
        let (strict, strictWarning) = Configuration.switchValue(
            "LOCKORDER_HIERARCHY_STRICT", environmentValue("LOCKORDER_HIERARCHY_STRICT"), default: false)
        if let strictWarning { messages.append(strictWarning) }
        if let path = environmentValue("LOCKORDER_HIERARCHY"), !path.isEmpty {
            do {
                hierarchy = try LockHierarchy.load(path: path)
                registry.resolve(against: hierarchy)
            } catch {
                let problem = TerminalText.value(error.description, limit: 4 * TerminalText.valueLimit)
                if strict {
                    messages.append(
                        "\(problem) (LOCKORDER_HIERARCHY_STRICT=1: the process stops, exit status 1)\n")
                    return (messages, true)
                }
                messages.append("\(problem) (checking goes on with the built-in julia hierarchy)\n")
            }
        } else if strict {
            messages.append(
                "lockorder: LOCKORDER_HIERARCHY_STRICT=1 but LOCKORDER_HIERARCHY is not set "
                    + "(LOCKORDER_HIERARCHY_STRICT=1: the process stops, exit status 1)\n")
            return (messages, true)
        }
        if let path = environmentValue("LOCKORDER_REPORT_FILE"), !path.isEmpty {
            switch OutputFiles.openReportFile(path) {
            case .success(let file):
                reporter.jsonFileDescriptor = file.descriptor
                configuration.reportFile = (path, file)
            case .failure(let problem):
                messages.append(
                    "lockorder: LOCKORDER_REPORT_FILE '\(TerminalText.value(path))': \(problem.text) "
                        + "(reports go to stderr only)\n")
            }
        }
        if let path = environmentValue("LOCKORDER_SUPPRESSIONS"), !path.isEmpty {
            do {
                reporter.suppressions = try Suppressions.load(path: path)
            } catch {
                messages.append(error.message + " (no suppressions applied)\n")
            }
        }
        if let path = environmentValue("LOCKORDER_GRAPH_FILE"), !path.isEmpty {
            configuration.graphFilePath = path
        }
        if let path = environmentValue("LOCKORDER_GRAPH_BASELINE"), !path.isEmpty {
            let (baseline, message) = BaselineOrder.load(path: path)
            configuration.baseline = baseline
            if let message { messages.append(message) }
        }
        let (learning, learnWarning) = Configuration.switchValue(
            "LOCKORDER_LEARN", environmentValue("LOCKORDER_LEARN"), default: true)
        if let learnWarning { messages.append(learnWarning) }
        lockorder_set_learning(learning ? 1 : 0)
        let (sourceLocations, symbolizeWarning) = Configuration.sourceLocations(
            fromValue: environmentValue("LOCKORDER_SYMBOLIZE"))
        if let symbolizeWarning { messages.append(symbolizeWarning) }
        configuration.sourceLocations = sourceLocations
        let (exitCode, exitCodeWarning) = Configuration.exitCode(
            fromValue: environmentValue("LOCKORDER_EXITCODE"))
        if let exitCodeWarning { messages.append(exitCodeWarning) }
        configuration.exitCode = exitCode
        let (watchdog, watchdogMessages) = Watchdog.settings(
            watchdog: environmentValue("LOCKORDER_WATCHDOG"),
            waitWarning: environmentValue("LOCKORDER_WAIT_WARN"))
        messages += watchdogMessages
        if let watchdog { Watchdog.start(watchdog) }
        let (holdWarning, holdWarningMessage) = HoldTiming.holdWarning(
            environmentValue("LOCKORDER_HOLD_WARN"))
        if let holdWarningMessage { messages.append(holdWarningMessage) }
        let (statistics, statisticsWarning) = Configuration.switchValue(
            "LOCKORDER_STATS", environmentValue("LOCKORDER_STATS"), default: false)
        if let statisticsWarning { messages.append(statisticsWarning) }
        HoldTiming.configure(holdWarning: holdWarning, statistics: statistics)
        return (messages, false)
    }
}
