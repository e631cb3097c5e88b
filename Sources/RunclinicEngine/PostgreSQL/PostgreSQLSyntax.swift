/// Rewrites the store's SQL into PostgreSQL's spelling: `?` and `?N` placeholders become `$N`,
/// `BEGIN IMMEDIATE` (SQLite's write lock) a plain `BEGIN`, and `CAST(... AS REAL)` a double
/// (PostgreSQL's REAL is single precision). Text inside quotes is left alone.
enum PostgreSQLSyntax {
    static func translate(_ sql: String) -> (text: String, parameterCount: Int) {
        if sql == "BEGIN IMMEDIATE" { return ("BEGIN", 0) }
        var output = ""
        output.reserveCapacity(sql.utf8.count + 16)
        var next = 1
        var highest = 0
        var quote: Character?
        var characters = sql[...]
        while let character = characters.popFirst() {
            if let open = quote {
                output.append(character)
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                output.append(character)
            case "?":
                let digits = characters.prefix { $0.isASCII && $0.isNumber }
                let number: Int
                if digits.isEmpty {
                    number = next
                    next += 1
                } else {
                    number = Int(digits) ?? next
                    characters = characters.dropFirst(digits.count)
                }
                highest = max(highest, number)
                output += "$\(number)"
            default:
                output.append(character)
            }
        }
        output = output.replacingOccurrences(of: " AS REAL)", with: " AS double precision)")
        return (output, highest)
    }
}
