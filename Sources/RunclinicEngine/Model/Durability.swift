/// When a write must be on disk.
public enum Durability: Sendable {
    /// Committed before the call returns: the caller is told only once the data is safe.
    case acknowledged
    /// Committed within the store's commit window (fire-and-forget logging).
    case deferred
}
