import CLockOrderSupport

// What the pthread interposer (LockOrderInterpose, docs/interpose.md) needs of the checker
// beyond the public calls: to keep identities in C (ForkHandlers holds the checker across fork).

extension LockIdentity {
    /// Rebuilds an identity from the parts C code kept of it.
    package init(parts id: UInt64, classID: UInt32, nameID: UInt32, kind: LockKind, optionBits: UInt8) {
        self.init(id: id, classID: classID, nameID: nameID, kind: kind, optionBits: optionBits)
    }
}
