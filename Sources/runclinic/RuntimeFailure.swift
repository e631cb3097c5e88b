/// A command that could not do its work (no store, a socket that cannot be opened, a server that
/// hung up): said in one line, exit status 1, and no usage hint, since the command line was right.
/// A mistyped command line is a `ValidationError` (exit status 64, with the usage).
struct RuntimeFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
