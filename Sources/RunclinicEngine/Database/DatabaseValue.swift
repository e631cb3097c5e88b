/// A value bound to a statement, kept as data (to run the statement again later).
enum DatabaseValue {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null

    init(_ value: String?) { self = value.map { .text($0) } ?? .null }

    func bind(to statement: any DatabaseStatement, at index: Int32) {
        switch self {
        case .integer(let value): statement.bind(value, at: index)
        case .real(let value): statement.bind(value, at: index)
        case .text(let value): statement.bind(value, at: index)
        case .null: statement.bindNull(at: index)
        }
    }
}
