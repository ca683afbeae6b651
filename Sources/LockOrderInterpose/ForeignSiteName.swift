import CLockOrderSupport
import LockOrderChecker

/// Names a code address for a foreign lock's name: `function+0xOFFSET (module)` through the
/// symbol tables, demangled (no line numbers: those come with a report's backtrace), or the
/// bare address. Called once per lock class, when its first lock is registered.
enum ForeignSiteName {
    /// Names already made, by class key: a class's locks share one name, made once.
    private nonisolated(unsafe) static var names: [UInt: String] = [:]
    private static let namesLock = RawMutex()

    /// The name for `key`, made by `make` the first time.
    static func cached(key: UInt, _ make: () -> String) -> String {
        if let name = namesLock.withLock({ names[key] }) { return name }
        let name = make()
        namesLock.withLock { names[key] = name }
        return name
    }

    /// `f+0x1 <- g+0x2 (module)`: the frames named, the first frame's module once.
    static func describe(_ frames: some Collection<UInt>) -> String {
        var module: String?
        let names = frames.enumerated().map { index, address in
            let (name, frameModule) = describe(address)
            if index == 0 { module = frameModule }
            return name
        }
        return names.joined(separator: " <- ") + (module.map { " (\($0))" } ?? "")
    }

    /// One frame: its function and offset (or its address), and its module's file name.
    static func describe(_ address: UInt) -> (name: String, module: String?) {
        let hex = "0x" + String(address, radix: 16)
        var buffer = [CChar](repeating: 0, count: 512)
        var offset: UInt = 0
        // A return address: look up the call instruction before it.
        let lookup = address > 0 ? address - 1 : address
        let named = lockorder_symbol_name(lookup, &buffer, buffer.count, &offset) == 0
        var path: UnsafePointer<CChar>?
        var base: UInt = 0
        let module: String? =
            lockorder_module_of(lookup, &path, &base) == 0 && path != nil
            ? String(cString: path!).split(separator: "/").last.map(String.init) : nil
        guard named else { return (hex, module) }
        let symbol = Demangler.demangle(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        return ("\(symbol)+0x\(String(offset + 1, radix: 16))", module)
    }
}
