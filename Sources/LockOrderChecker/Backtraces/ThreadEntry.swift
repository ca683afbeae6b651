extension Backtrace {
    /// Where a thread began, read from the outermost frames of one of its stacks (free: the
    /// stack is captured anyway): the outermost function that is not the C library's thread or
    /// process start, shortened to its name (`lockorder.demoThreadMain`). Nil when the stack
    /// may be cut short (it filled the capture) or nothing outside the C library names it.
    static func threadEntry(_ frames: [Frame]) -> String? {
        guard frames.count < capacity else { return nil }
        let entry = frames.last { frame in
            guard let function = frame.function, frame.module != nil else { return false }
            // lockorder's own thread start (the pthread_create wrapper's) is not the program's.
            return !frame.isInSystemLibrary && function != "_start" && !frame.isLockOrderInternal
        }
        guard var name = entry?.function else { return nil }
        if name.hasPrefix("@objc ") { name.removeFirst("@objc ".count) }
        // A private function's name carries a discriminator: `Module.(name in _3F2A...)`.
        if let open = name.firstRange(of: ".("),
            let inside = name[open.upperBound...].firstRange(of: " in _"),
            let close = name[inside.upperBound...].firstIndex(of: ")")
        {
            name =
                name[..<open.lowerBound] + "." + name[open.upperBound..<inside.lowerBound]
                + name[name.index(after: close)...]
        }
        // A closure is named by where it is: `closure #1 (args) -> T in static M.f(x:) -> ()`
        // reads `closure #1 in M.f`.
        if name.hasPrefix("closure #") || name.hasPrefix("implicit closure #"),
            let number = name.firstIndex(of: "#"),
            let context = topLevelIn(name)
        {
            let label = name[..<number] + name[number...].prefix { $0 != " " }
            return "\(label) in \(functionName(String(context)))"
        }
        name = functionName(name)
        return name.isEmpty ? nil : name
    }

    /// A demangled function's name without its argument list, result and `static `.
    private static func functionName(_ demangled: String) -> String {
        var name = Substring(demangled)
        if name.hasPrefix("static ") { name = name.dropFirst("static ".count) }
        if let parenthesis = name.firstIndex(of: "(") { name = name[..<parenthesis] }
        return String(name)
    }

    /// What follows the first ` in ` outside brackets: a closure's enclosing function.
    private static func topLevelIn(_ name: String) -> Substring? {
        var depth = 0
        var index = name.startIndex
        while index < name.endIndex {
            switch name[index] {
            case "(", "<", "[": depth += 1
            case ">" where index > name.startIndex && name[name.index(before: index)] == "-":
                break  // the arrow of a function type
            case ")", ">", "]": depth -= 1
            case " " where depth == 0 && name[index...].hasPrefix(" in "):
                return name[name.index(index, offsetBy: 4)...]
            default: break
            }
            index = name.index(after: index)
        }
        return nil
    }
}
