#if canImport(Glibc)
    import Glibc
#endif

/// The Swift runtime's demangler, which every Swift program already links. The toolchain's
/// `swift-demangle` command is not present on users' machines, so the runtime entry is the one
/// that is always there.
@_silgen_name("swift_demangle")
private func runtimeDemangle(
    _ mangledName: UnsafePointer<CChar>?,
    _ mangledNameLength: Int,
    _ outputBuffer: UnsafeMutablePointer<CChar>?,
    _ outputBufferSize: UnsafeMutablePointer<Int>?,
    _ flags: UInt32
) -> UnsafeMutablePointer<CChar>?

/// Turns mangled Swift symbols into readable names; leaves every other name as it is.
package enum Demangler {
    /// The demangled form of a Swift symbol, or `symbol` unchanged when it is not one (C and
    /// C++ names are shown as the binary spells them).
    package static func demangle(_ symbol: String) -> String {
        guard symbol.hasPrefix("$s") || symbol.hasPrefix("_$s") || symbol.hasPrefix("$S") else {
            return symbol
        }
        let demangled = symbol.withCString { name in
            runtimeDemangle(name, strlen(name), nil, nil, 0)
        }
        guard let demangled else { return symbol }
        defer { free(demangled) }
        return String(cString: demangled)
    }
}
