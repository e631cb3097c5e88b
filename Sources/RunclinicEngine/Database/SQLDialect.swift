/// The two SQL dialects the store speaks. The store's statements are written once, in the subset
/// both accept (`INSERT ... ON CONFLICT`, `RETURNING`); a connection rewrites what differs only in
/// spelling (placeholders, `BEGIN IMMEDIATE`), and the few queries that differ in substance ask
/// `dialect`.
public enum SQLDialect: Sendable {
    case sqlite
    case postgresql
}
