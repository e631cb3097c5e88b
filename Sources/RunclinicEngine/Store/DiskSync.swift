/// How far a commit goes before it counts. Either way a killed process loses nothing committed;
/// the difference is a power loss or an operating-system crash.
public enum DiskSync: String, Sendable, CaseIterable {
    /// SQLite's synchronous=NORMAL in WAL mode: commits reach the operating system; the log is
    /// synced at checkpoints. A power loss may take the last commits back.
    case normal
    /// synchronous=FULL: every commit is synced to the disk before it counts (`--durability full`),
    /// for stores that must survive a power loss; its cost is in bench/README.md.
    case full
}
