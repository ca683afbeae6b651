internal import CLibunwind
import Synchronization

/// The return addresses of a thread's stack at one moment, captured without naming them.
///
/// Capture is the cheap half (`unw_backtrace`, well under a microsecond): it happens when a
/// violation is found. Naming the frames is the expensive half and happens only when a report
/// is printed (`symbolicated()`), through a cache.
package struct Backtrace: Sendable, Hashable {
    /// The most frames one backtrace keeps.
    package static let capacity = 64

    /// Return addresses, innermost first.
    package let addresses: [UInt]

    /// Creates a backtrace from addresses captured elsewhere.
    package init(addresses: [UInt]) {
        self.addresses = addresses
    }

    /// How many stacks have been captured in this process: for tests that the steady state
    /// (no new edge, no new report) captures none.
    package static let captureCount = Atomic<Int>(0)

    /// Captures the calling thread's stack. The checker's own frames are dropped later, when
    /// the backtrace is symbolicated.
    @inline(never)
    package static func capture() -> Backtrace {
        captureCount.wrappingAdd(1, ordering: .relaxed)
        let slots = UnsafeMutableRawPointer?.self
        return withUnsafeTemporaryAllocation(of: slots, capacity: capacity) { buffer in
            let count = Int(unw_backtrace(buffer.baseAddress, Int32(capacity)))
            var addresses: [UInt] = []
            addresses.reserveCapacity(count)
            for index in 0..<max(count, 0) {
                addresses.append(UInt(bitPattern: buffer[index]))
            }
            return Backtrace(addresses: addresses)
        }
    }

    /// The frames with names, modules and offsets, starting at the first frame that is not the
    /// checker's or the lock library's own (so the first frame is the user's call).
    ///
    /// Unless `sourceLocations` is `.off` (LOCKORDER_SYMBOLIZE), the frames a report prints (not
    /// folded, `Frame.isFolded`) also get their `file:line:column` through llvm-symbolizer or
    /// addr2line when one is on PATH, except the C library's and the loader's: their lines say
    /// nothing about the user's code, and reading their debug information (when installed) took
    /// half of the first report's cost (docs/report-format.md, "Environment variables").
    package func symbolicated(sourceLocations: SourceLocations = .off) -> [Frame] {
        let frames = Symbolizer.shared.frames(for: addresses)
        let userFrames = Array(frames[Self.firstUserFrame(in: frames)...])
        if sourceLocations == .off { return userFrames }
        return Symbolizer.shared.addingSourceLocations(
            to: userFrames, announcingAbsence: sourceLocations == .required,
            wanted: { !$0.isFolded && !$0.isInSystemLibrary })
    }

    /// `symbolicated(sourceLocations:)`, with locations required or off.
    package func symbolicated(includingSourceLocations: Bool) -> [Frame] {
        symbolicated(sourceLocations: includingSourceLocations ? .required : .off)
    }

    /// The index of the first frame after the innermost run of lockorder's own frames. Thunks
    /// the compiler generates between them carry no module name, so they are passed over as
    /// part of the run; the run ends at the first frame of the user's code.
    /// The run starts at the innermost frame: a stack that does not begin in lockorder (a
    /// thread's creation, taken in its creator's code) keeps all its frames, even though its
    /// outermost ones are lockorder's thread start.
    static func firstUserFrame(in frames: [Frame]) -> Int {
        var lastInternal = -1
        for (index, frame) in frames.enumerated() {
            if frame.isLockOrderInternal {
                lastInternal = index
            } else if !frame.isCompilerThunk {
                break
            }
        }
        return lastInternal + 1
    }
}
