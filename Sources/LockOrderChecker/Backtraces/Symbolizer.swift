import CLockOrderSupport

/// Names frames: function and offset through libunwind, the module through dladdr, Swift
/// names demangled, and on request the source location through `SourceLocator`; each address
/// is resolved once and cached.
///
/// Reports use it while they hold the backtrace lock; the cache has a raw lock of its own so
/// that tests and tools may also call it outside a report.
package final class Symbolizer: @unchecked Sendable {
    /// The process-wide symbolizer whose cache all reports share.
    package static let shared = Symbolizer()

    private var cache: [UInt: Entry] = [:]
    /// Taken around cache reads and writes only (and by the fork handlers).
    let cacheLock = RawMutex()

    /// How many distinct addresses have been resolved (cache entries), for tests.
    package var resolvedCount: Int { cacheLock.withLock { cache.count } }

    /// What is known about one address.
    private struct Entry {
        /// The frame, without its source location.
        var frame: Frame
        /// The source locator's answer, once `isLocated`.
        var sourceLocation: String?
        var isLocated = false
    }

    /// Symbolicated frames for `addresses`, in the same order.
    package func frames(for addresses: [UInt]) -> [Frame] {
        addresses.map(frame(for:))
    }

    /// The frame for one address, from the cache when it was resolved before.
    package func frame(for address: UInt) -> Frame {
        if let cached = cacheLock.withLock({ cache[address] }) { return cached.frame }
        let resolved = resolve(address)
        cacheLock.withLock { cache[address] = Entry(frame: resolved) }
        return resolved
    }

    /// `frames` with their source locations filled in where known (LOCKORDER_SYMBOLIZE): from
    /// the cache, or asked of the source locator, in one go, for the addresses not asked before.
    /// Only the frames `wanted` selects are looked up; `announcingAbsence` as for
    /// `SourceLocator.locations(ofReturnAddresses:announcingAbsence:)`.
    package func addingSourceLocations(
        to frames: [Frame], announcingAbsence: Bool = true, wanted: (Frame) -> Bool = { _ in true }
    ) -> [Frame] {
        var located = frames
        var missing: [Int] = []
        cacheLock.withLock {
            for (index, frame) in frames.enumerated() where wanted(frame) {
                if let entry = cache[frame.address], entry.isLocated {
                    located[index].sourceLocation = entry.sourceLocation
                } else {
                    missing.append(index)
                }
            }
        }
        if missing.isEmpty { return located }
        // Not asked (no symbolizer, or none may be used here): nothing to remember either, so
        // that a report made where one may be used asks again.
        guard
            let found = SourceLocator.shared.locations(
                ofReturnAddresses: missing.map { frames[$0].address }, announcingAbsence: announcingAbsence)
        else { return located }
        cacheLock.withLock {
            for (index, location) in zip(missing, found) {
                located[index].sourceLocation = location
                cache[frames[index].address]?.sourceLocation = location
                cache[frames[index].address]?.isLocated = true
            }
        }
        return located
    }

    private func resolve(_ address: UInt) -> Frame {
        var module: String?
        var modulePath: UnsafePointer<CChar>?
        var base: UInt = 0
        if lockorder_module_of(address, &modulePath, &base) == 0, let modulePath {
            let path = String(cString: modulePath)
            module = path.split(separator: "/").last.map(String.init) ?? path
        }
        var rawSymbol: String?
        var offset: UInt = 0
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4096) { buffer in
            // Return addresses point after the call; look up the byte before so a call that is
            // the last instruction of a function is named after its caller, not its neighbour.
            let lookup = address > 0 ? address - 1 : address
            if lockorder_symbol_name(lookup, buffer.baseAddress, buffer.count, &offset) == 0 {
                rawSymbol = String(cString: buffer.baseAddress!)
                offset += 1
            }
        }
        return Frame(
            address: address, function: rawSymbol.map(Demangler.demangle), offset: offset,
            module: module, rawSymbol: rawSymbol)
    }
}
