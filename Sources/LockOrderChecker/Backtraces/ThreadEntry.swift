extension Backtrace {
    /// Where a thread began, read from the outermost frames of one of its stacks (free: the
    /// stack is captured anyway): the outermost function that is not the C library's thread or
    /// process start, shortened to its name (`lockorder.demoThreadMain`). Nil when the stack
    /// may be cut short (it filled the capture) or nothing outside the C library names it.
    static func threadEntry(_ frames: [Frame]) -> String? {
        guard frames.count < capacity else { return nil }
        let entry = frames.last { frame in
            guard let function = frame.function, frame.module != nil else { return false }
            return !frame.isInSystemLibrary && function != "_start"
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
        if let parenthesis = name.firstIndex(of: "(") { name = String(name[..<parenthesis]) }
        return name.isEmpty ? nil : name
    }
}
