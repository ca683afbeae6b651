import Foundation
import LockCore
import LockOrderTestSupport
import Testing

@testable import LockOrderChecker

/// The report as a person reads it (docs/report-format.md), and the same report as a JSON line.
@Suite("Report text and JSON line", .serialized)
struct CheckerReportTextTests {
    /// A level inversion made in this file, with the lines of its two acquisitions.
    static func levelInversion() throws -> (violation: Violation, heldLine: Int, acquiredLine: Int) {
        let typecache = CheckedMutex(declared: "typecache_lock")
        let methodTable = CheckedMutex(declared: "jl_methtable_t.writelock")
        var heldLine = 0
        var acquiredLine = 0
        let violations = checkDeclaredRules {
            heldLine = #line + 1
            typecache.lock()
            acquiredLine = #line + 1
            methodTable.lock()
            methodTable.unlock()
            typecache.unlock()
        }
        try #require(violations.count == 1)
        return (violations[0], heldLine, acquiredLine)
    }

    @Test("a level inversion's text: headline, thread, lock, held, rule, backtrace, hint, in that order")
    func levelInversionTextReadsInOrder() throws {
        let (violation, heldLine, acquiredLine) = try Self.levelInversion()
        let lines = reportLines(violation)
        try #require(lines.count >= 9, "\(lines)")
        let file = siteFile()
        #expect(
            lines[0]
                == "lockorder: level inversion: acquiring jl_methtable_t.writelock (level 5) while holding typecache_lock (level 3)"
        )
        #expect(lines[1].hasPrefix("  thread: thread "))
        #expect(lines[1] == "  thread: \(FindingText.thread(violation.thread, frames: violation.frames))")
        #expect(lines[2] == "  lock: jl_methtable_t.writelock (level 5, Mutex) at \(file):\(acquiredLine)")
        #expect(lines[3] == "  held (most recent first):")
        #expect(lines[4] == "    typecache_lock (level 3, Mutex), acquired at \(file):\(heldLine)")
        #expect(
            lines[5]
                == "  rule: while a level 3 lock is held, only locks of a strictly lower level may be acquired"
        )
        #expect(lines[6] == "  backtrace:")
        #expect(
            lines.last
                == "  hint: acquire jl_methtable_t.writelock before typecache_lock (higher levels first), or release typecache_lock first"
        )
        // Every frame, by its index, except lockorder's own and compiler glue, folded; then where
        // the thread was made, when it was made while checking was on (a test's own worker
        // thread is, when LOCKORDER_CHECK was set before it started).
        let creation =
            violation.createdBy.map { _ in
                ["  thread created by \(violation.createdBy!), at:"]
                    + ViolationText.frameLines(violation.creationFrames ?? [], indent: "    ")
            } ?? []
        #expect(Array(lines.dropLast().suffix(creation.count)) == creation)
        let frameLines = Array(lines[7..<(lines.count - 1 - creation.count)])
        #expect(frameLines == ViolationText.frameLines(violation.frames, indent: "    "))
        for (index, frame) in violation.frames.enumerated() where !frame.isFolded {
            #expect(frameLines.contains("    #\(index) \(frame.formatted)"))
        }
        // Frame #0 is this test's own code (the function that locked), demangled.
        let first = try #require(violation.frames.first?.function)
        #expect(first.contains("CheckerReportTextTests.levelInversion()"), "frame #0 is \(first)")
        #expect(!first.hasPrefix("$s"))
        #expect(lines[7].hasPrefix("    #0 0x"))
        #expect(
            !violation.text.contains("LockOrderChecker.CheckerState"), "the checker's own frames are left out"
        )
    }

    @Test("a violation's description is one paragraph: kind, locks, sites; the full report stays in text")
    func descriptionIsOneParagraph() throws {
        let (violation, heldLine, acquiredLine) = try Self.levelInversion()
        let file = siteFile()
        #expect(
            violation.description
                == "level_inversion: level inversion: acquiring jl_methtable_t.writelock (level 5) while holding "
                + "typecache_lock (level 3); at \(file):\(acquiredLine) on \(violation.thread); holding "
                + "typecache_lock (acquired at \(file):\(heldLine))")
        #expect(!violation.description.contains("\n"))
        #expect("\([violation])" == "[\(violation.description)]", "what a failed #expect prints")
        #expect(violation.text.contains("backtrace:"))
    }

    @Test("the same report as a JSON line: every field, and no field that does not apply")
    func levelInversionJSONLine() throws {
        let (violation, heldLine, acquiredLine) = try Self.levelInversion()
        let bytes = ReportEncoding.line(violation)
        #expect(!bytes.contains(UInt8(ascii: "\n")), "one line")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let file = siteFile()
        #expect(
            Set(object.keys).subtracting(["createdBy", "creationFrames"]) == [
                "schema", "id", "kind", "message", "thread", "threadStartedIn", "site", "lock", "held",
                "rule",
                "legend", "hint", "frames", "count",
            ])
        #expect(
            (object["createdBy"] == nil) == (violation.createdBy == nil),
            "only when the thread's making was seen")
        #expect(object["schema"] as? Int == 3)
        #expect(object["id"] as? Int == 1)
        #expect(object["count"] as? Int == 1)
        #expect(object["kind"] as? String == "level_inversion")
        #expect(object["message"] as? String == violation.message)
        #expect(object["thread"] as? String == violation.thread)
        #expect(object["site"] as? String == "\(file):\(acquiredLine)")
        #expect(object["rule"] as? String == violation.rule)
        #expect(object["hint"] as? String == violation.hint)
        let lock = try #require(object["lock"] as? [String: Any])
        #expect(Set(lock.keys) == ["name", "className", "level", "kind", "mode", "site", "tryLock"])
        #expect(lock["name"] as? String == "jl_methtable_t.writelock")
        #expect(lock["className"] as? String == "jl_methtable_t.writelock")
        #expect(lock["level"] as? Int == 5)
        #expect(lock["kind"] as? String == "mutex")
        #expect(lock["mode"] as? String == "exclusive")
        #expect(lock["site"] as? String == "\(file):\(acquiredLine)")
        #expect(lock["tryLock"] as? Bool == false)
        let held = try #require(object["held"] as? [[String: Any]])
        #expect(held.count == 1)
        #expect(held.first?["name"] as? String == "typecache_lock")
        #expect(held.first?["level"] as? Int == 3)
        #expect(held.first?["site"] as? String == "\(file):\(heldLine)")
        let frames = try #require(object["frames"] as? [[String: Any]])
        #expect(frames.count == violation.frames.count)
        #expect(
            (frames.first?["function"] as? String)?.contains("CheckerReportTextTests.levelInversion()")
                == true)
        #expect(frames.allSatisfy { $0["address"] is Int && $0["offset"] is Int })
    }

    @Test("a violation read back from its JSON line equals the one written")
    func jsonLineRoundTrips() throws {
        let (violation, _, _) = try Self.levelInversion()
        let decoded = try JSONDecoder().decode(Violation.self, from: Data(ReportEncoding.line(violation)))
        #expect(decoded.kind == violation.kind)
        #expect(decoded.message == violation.message)
        #expect(decoded.lock == violation.lock)
        #expect(decoded.held == violation.held)
        #expect(decoded.frames.map(\.function) == violation.frames.map(\.function))
        #expect(decoded.count == violation.count)
    }

    @Test("every lock kind and mode has a word in the JSON, and reads back")
    func lockKindWords() throws {
        let kinds: [LockKind] = [
            .mutex, .reentrantMutex, .spinLock, .reentrantSpinLock, .readerPreferringRWLock,
            .writerPreferringRWLock,
        ]
        var words: [String] = []
        for kind in kinds {
            for mode in [AccessMode.exclusive, .shared] {
                let snapshot = LockSnapshot(
                    name: "n", className: "c", level: nil, kind: kind, declaredKind: nil, mode: mode,
                    orderKey: 7,
                    site: nil, tryLock: true)
                let data = try JSONEncoder().encode(snapshot)
                let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
                if mode == .exclusive { words.append(object["kind"] as? String ?? "?") }
                #expect(object["mode"] as? String == mode.description)
                #expect(object["orderKey"] as? Int == 7)
                #expect(object["level"] == nil)
                #expect(try JSONDecoder().decode(LockSnapshot.self, from: data) == snapshot)
            }
        }
        #expect(
            words == [
                "mutex", "reentrant_mutex", "spin_lock", "reentrant_spin_lock", "reader_preferring_rwlock",
                "writer_preferring_rwlock",
            ])
    }

    @Test(
        "a line over 120 characters is wrapped at spaces, continued four columns in; headlines and frames stay whole"
    )
    func longLinesAreWrapped() {
        let words = Array(repeating: "word", count: 40).joined(separator: " ")
        let wrapped = ViolationText.wrapped("  hint: " + words)
        #expect(wrapped.count == 2)
        #expect(wrapped.allSatisfy { $0.count <= ViolationText.lineWidth }, "\(wrapped)")
        #expect(wrapped[0].hasPrefix("  hint: word"))
        #expect(wrapped[1].hasPrefix("      word"))
        #expect(unwrappedReport(wrapped.joined(separator: "\n")) == "  hint: " + words)
        #expect(ViolationText.wrapped("lockorder: " + words) == ["lockorder: " + words])
        #expect(ViolationText.wrapped("    #3 0x1 " + words) == ["    #3 0x1 " + words])
        #expect(ViolationText.wrapped("  rule: short") == ["  rule: short"])
    }

    @Test("the locks: section names each class once, by its lock's name; two classes of one name keep theirs")
    func legendLabelsClassesByTheirLocksNames() {
        func snapshot(_ name: String, _ className: String) -> LockSnapshot {
            LockSnapshot(
                name: name, className: className, level: nil, kind: .mutex, declaredKind: nil,
                mode: .exclusive,
                orderKey: nil, site: "A.swift:1", tryLock: false)
        }
        let legend = LockLegend(
            locks: [snapshot("a", "a (A.swift:3)"), snapshot("b", "b #7"), snapshot("a", "a (B.swift:9)")],
            edges: [])
        #expect(legend.label("b #7") == "b")
        #expect(legend.label("a (A.swift:3)") == "a (A.swift:3)", "two classes would both be 'a'")
        #expect(
            FindingText.legendLines(legend) == [
                "  locks (each class once):", "    b: a class of its own, b #7 (7 is the lock's id)",
            ])
        let sites = LockLegend(
            locks: [snapshot("acct", "acct (A.swift:3)"), snapshot("typecache_lock", "typecache_lock")],
            edges: [])
        #expect(
            FindingText.legendLines(sites) == [
                "  locks (each class once):", "    acct: the class of locks created at A.swift:3",
            ])
    }

    @Test(
        "a thread is named as the program named it; one it did not name is unnamed; where it began, from its stack"
    )
    func threadNamesAndEntry() throws {
        let named = ThreadResult<String>()
        let unnamed = ThreadResult<String>()
        TestThread.runAndWait {
            Thread.current.name = "teller-1"  // the running thread: Foundation sets the pthread name
            named.set(ThreadIdentity.describeCurrent())
        }
        #expect(named.value?.hasSuffix(", \"teller-1\")") == true, "\(named.value ?? "")")
        // What Linux gives a new thread of a process whose threads are unnamed: the process's name.
        let processName = String(
            decoding: (CommandLine.arguments.first?.split(separator: "/").last ?? "").utf8.prefix(15),
            as: UTF8.self)
        TestThread.runAndWait {
            Thread.current.name = processName
            unnamed.set(ThreadIdentity.describeCurrent())
        }
        #expect(unnamed.value?.hasSuffix(", unnamed)") == true, "\(unnamed.value ?? "")")
        // Foundation's Thread named before start(): swift-corelibs-foundation drops the name
        // (even `Thread.name` then reads the process's), so there is nothing to read: the report
        // says unnamed, not the process's name.
        // Made by an unnamed thread, so that Linux does not hand it the creator's name.
        let namedBeforeStart = ThreadResult<String>()
        TestThread.runAndWait {
            Thread.current.name = processName
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                namedBeforeStart.set(ThreadIdentity.describeCurrent())
                done.signal()
            }
            thread.name = "loader"
            thread.start()
            done.wait()
        }
        #expect(namedBeforeStart.value?.hasSuffix(", unnamed)") == true, "\(namedBeforeStart.value ?? "nil")")
        func frame(_ function: String, _ module: String) -> Frame {
            Frame(address: 1, function: function, offset: 0, module: module)
        }
        let frames = [
            frame("app.work() -> ()", "app"),
            frame("app.(workerMain in _0A1B2C)(Swift.Optional<Swift.UnsafeMutableRawPointer>) -> ()", "app"),
            frame(
                "@objc app.(workerMain in _0A1B2C)(Swift.Optional<Swift.UnsafeMutableRawPointer>) -> ()",
                "app"),
            frame("start_thread", "libc.so.6"),
        ]
        #expect(Backtrace.threadEntry(frames) == "app.workerMain")
        #expect(
            FindingText.thread("thread 2 (tid 9, unnamed)", frames: frames)
                == "thread 2 (tid 9, unnamed), started in app.workerMain")
        #expect(
            FindingText.thread("thread 1 (tid 8, main thread)", frames: frames)
                == "thread 1 (tid 8, main thread)")
        #expect(Backtrace.threadEntry([frame("start_thread", "libc.so.6")]) == nil)
        // A thread started with a closure is named by the function the closure is in.
        let closure =
            "closure #1 (Swift.Optional<Swift.UnsafeMutableRawPointer>) -> Swift.Optional<Swift.UnsafeMutableRawPointer>"
            + " in static app.Pool.(spawn in _0A1B2C)(detached: Swift.Bool, _: @Sendable () -> ()) -> Swift.UInt"
        #expect(
            Backtrace.threadEntry([frame("@objc " + closure, "app"), frame("start_thread", "libc.so.6")])
                == "closure #1 in app.Pool.spawn")
    }
}
