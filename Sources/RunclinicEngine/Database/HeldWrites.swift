/// An owner of rows not yet written, which its connection asks to write them before running any
/// other statement (see `DatabaseConnection.heldWrites`).
protocol HeldWrites: AnyObject {
    func writeHeld() throws(DatabaseError)
}
