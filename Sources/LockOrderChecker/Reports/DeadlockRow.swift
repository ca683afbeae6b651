/// One thread of the deadlock an order cycle allows: the lock it holds and the one it then
/// waits for (the `deadlock:` section of an order cycle's report, the `deadlock` array of its
/// JSON line).
public struct DeadlockRow: Sendable, Hashable, Codable {
    /// The thread, as the report's thread lines name it (`another thread` when one thread made
    /// two of the cycle's edges: a second thread running the same code would do).
    public let thread: String
    /// The lock the thread holds (its own name).
    public let holds: String
    /// The lock it waits for, which the next row's thread holds.
    public let waitsFor: String

    /// Creates a row.
    public init(thread: String, holds: String, waitsFor: String) {
        self.thread = thread
        self.holds = holds
        self.waitsFor = waitsFor
    }
}
