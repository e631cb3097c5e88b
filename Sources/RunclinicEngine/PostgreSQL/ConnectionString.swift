import Foundation

/// PostgreSQL connection strings as users give them (`postgresql://user:secret@host:5432/db`,
/// or libpq's `host=... dbname=...`): recognised, and shown without their password. libpq reads
/// the password itself, from the string, PGPASSWORD or ~/.pgpass.
public enum ConnectionString {
    public static func isPostgreSQL(_ location: String) -> Bool {
        location.hasPrefix("postgresql://") || location.hasPrefix("postgres://")
    }

    /// The string with any password replaced by `***`.
    public static func redacted(_ location: String) -> String {
        guard isPostgreSQL(location), let schemeEnd = location.range(of: "://") else {
            return redactedKeywords(location)
        }
        var text = location
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@"),
            let colon = rest[..<at].firstIndex(of: ":")
        {
            text.replaceSubrange(text.index(after: colon)..<at, with: "***")
        }
        return redactedKeywords(text)
    }

    /// `password=...` in a query string or in libpq's keyword form.
    private static func redactedKeywords(_ text: String) -> String {
        guard
            let expression = try? NSRegularExpression(
                pattern: "(password=)('[^']*'|[^&\\s]*)", options: .caseInsensitive)
        else { return text }
        let range = NSRange(text.startIndex..., in: text)
        return expression.stringByReplacingMatches(in: text, range: range, withTemplate: "$1***")
    }

    /// A message with the password of `location` taken out wherever it appears.
    static func scrub(_ message: String, of location: String) -> String {
        var text = message.replacingOccurrences(of: location, with: redacted(location))
        if let password = password(in: location), password.count >= 3 {
            text = text.replacingOccurrences(of: password, with: "***")
        }
        return text
    }

    private static func password(in location: String) -> String? {
        guard let components = URLComponents(string: location) else { return nil }
        return components.password ?? components.queryItems?.first { $0.name == "password" }?.value
    }
}
