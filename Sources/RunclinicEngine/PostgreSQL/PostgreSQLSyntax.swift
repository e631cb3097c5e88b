/// Rewrites the store's SQL into PostgreSQL's spelling: `?` and `?N` placeholders become `$N`,
/// `BEGIN IMMEDIATE` (SQLite's write lock) a plain `BEGIN`, and `CAST(... AS REAL)` a double
/// (PostgreSQL's REAL is single precision). Text inside quotes is left alone.
enum PostgreSQLSyntax {
    /// A statement cut at its placeholders, scanned once per connection (PostgreSQLConnection
    /// keeps them): the writer spells the same few statements thousands of times a second.
    struct Template {
        /// The text around the placeholders: one more piece than placeholders.
        let pieces: [String]
        /// Each placeholder's parameter number, from 1.
        let placeholders: [Int]
        let parameterCount: Int
        /// The statement with `$N` placeholders, as it is prepared.
        private(set) var numbered = ""

        init(pieces: [String], placeholders: [Int]) {
            self.pieces = pieces
            self.placeholders = placeholders
            parameterCount = placeholders.max() ?? 0
            numbered = rendered { "$\($0)" }
        }

        func rendered(_ placeholder: (Int) -> String) -> String {
            var output = pieces[0]
            for (index, number) in placeholders.enumerated() {
                output += placeholder(number)
                output += pieces[index + 1]
            }
            return output
        }
    }

    /// `sql` with its values written in as quoted literals, for a statement sent inside a query
    /// of several (after a COPY, which leaves no room for parameters). A quoted literal has no
    /// type until its context gives it one, as a parameter sent as text does, so the statement
    /// means the same. Relies on standard_conforming_strings (set on every connection): a
    /// backslash is then an ordinary character, and a quote is escaped by doubling it.
    static func inlined(_ template: Template, _ values: [DatabaseValue], sql: String) throws(DatabaseError) -> String {
        var nul = false
        let text = template.rendered { number in
            guard values.indices.contains(number - 1) else { return "NULL" }
            switch values[number - 1] {
            case .null: return "NULL"
            case .integer(let value): return "'\(value)'"
            case .real(let value): return "'" + PostgreSQLStatement.text(of: value) + "'"
            case .text(let value):
                guard value.utf8.contains(where: { $0 == UInt8(ascii: "'") || $0 == 0 }) else {
                    return "'" + value + "'"
                }
                if value.utf8.contains(0) { nul = true }
                return "'" + value.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
            }
        }
        if nul {
            throw DatabaseError(
                sqlState: "22021", message: "text holds a NUL character, which PostgreSQL cannot store", sql: sql)
        }
        return text
    }

    static func template(_ sql: String) -> Template {
        if sql == "BEGIN IMMEDIATE" { return Template(pieces: ["BEGIN"], placeholders: []) }
        let sql = sql.replacingOccurrences(of: " AS REAL)", with: " AS double precision)")
        var pieces: [String] = []
        var placeholders: [Int] = []
        var piece = ""
        var next = 1
        var quote: Character?
        var characters = sql[...]
        while let character = characters.popFirst() {
            if let open = quote {
                piece.append(character)
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                piece.append(character)
            case "?":
                let digits = characters.prefix { $0.isASCII && $0.isNumber }
                if digits.isEmpty {
                    placeholders.append(next)
                    next += 1
                } else {
                    placeholders.append(Int(digits) ?? next)
                    characters = characters.dropFirst(digits.count)
                }
                pieces.append(piece)
                piece = ""
            default:
                piece.append(character)
            }
        }
        pieces.append(piece)
        return Template(pieces: pieces, placeholders: placeholders)
    }
}
