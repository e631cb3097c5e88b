import RunclinicJSON

/// The configuration keys whose values differ between runs, nested configs flattened to dotted
/// keys ("optimizer.lr"); a key a run lacks counts as a difference, and a key whose values have
/// different JSON types (3 and "3") is marked.
public struct ConfigDifference: Sendable {
    public let key: String
    /// One value per run, in the order the runs were given (nil: the run has no such key).
    public let values: [JSONValue?]
    public let typeChanged: Bool

    /// Dotted keys and leaf values (arrays are leaves).
    public static func flatten(_ value: JSONValue?, prefix: String = "") -> [String: JSONValue] {
        guard let value else { return [:] }
        guard let object = value.objectValue else { return prefix.isEmpty ? [:] : [prefix: value] }
        var flat: [String: JSONValue] = [:]
        for (key, member) in object {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            if member.objectValue != nil, !(member.objectValue?.isEmpty ?? true) {
                flat.merge(flatten(member, prefix: path)) { first, _ in first }
            } else {
                flat[path] = member
            }
        }
        return flat
    }

    /// The keys that differ between these configs (all keys with `all: true`), sorted.
    public static func between(_ configs: [JSONValue?], all: Bool = false) -> [ConfigDifference] {
        let flat = configs.map { flatten($0) }
        let keys = Set(flat.flatMap(\.keys)).sorted()
        return keys.compactMap { key in
            let values = flat.map { $0[key] }
            let present = values.compactMap { $0 }
            let texts = Set(values.map { $0.map(JSONWriter.string) ?? "\u{0}missing" })
            guard all || texts.count > 1 else { return nil }
            let types = Set(present.map(\.typeName))
            // An integer and a float of one number are the same setting.
            let numeric: Set<String> = ["integer", "number"]
            let changed = types.count > 1 && !types.isSubset(of: numeric)
            return ConfigDifference(key: key, values: values, typeChanged: changed)
        }
    }
}
