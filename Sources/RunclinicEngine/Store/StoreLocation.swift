/// Where a store lives: a SQLite file (the embedded default) or a PostgreSQL database, told apart
/// by the connection string's scheme (`postgresql://` or `postgres://`).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgresql(connectionString: String)

    public init(_ text: String) {
        self = ConnectionString.isPostgreSQL(text) ? .postgresql(connectionString: text) : .sqlite(path: text)
    }

    public var isPostgreSQL: Bool {
        if case .postgresql = self { return true }
        return false
    }

    /// The file's path, or the connection string without its password: what may be logged or shown.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgresql(let connectionString): return ConnectionString.redacted(connectionString)
        }
    }

    public var kind: String { isPostgreSQL ? "postgresql" : "sqlite" }
}
