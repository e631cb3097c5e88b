/// An owner of rows not yet written, which its connection asks to write them before running any
/// other statement (see `DatabaseConnection.heldWrites`).
protocol HeldWrites: AnyObject {
    func writeHeld() throws(DatabaseError)
    /// A commit sent without waiting (PostgreSQL) turned out to have succeeded, or failed.
    func sentCommitSucceeded()
    func sentCommitFailed(_ error: DatabaseError)
}
