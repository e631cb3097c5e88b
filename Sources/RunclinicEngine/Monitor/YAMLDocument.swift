import RunclinicJSON
import Yams

/// Reads a YAML configuration file into the same JSON value an inline `run.start` config is.
public enum YAMLDocument {
    public static func parse(_ text: String) throws -> JSONValue {
        guard let node = try Yams.compose(yaml: text) else { return .object([:]) }
        return try value(of: node)
    }

    private static func value(of node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            return scalarValue(scalar)
        case .sequence(let sequence):
            return .array(try sequence.map(value(of:)))
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, item) in mapping {
                guard let name = key.string else {
                    throw ConfigurationError(path: "(yaml)", expected: "string keys", got: "\(key)")
                }
                object[name] = try value(of: item)
            }
            return .object(object)
        case .alias(let alias):
            throw ConfigurationError(path: "(yaml)", expected: "no aliases", got: "*\(alias.anchor)")
        }
    }

    /// YAML 1.2 core schema: null, booleans, integers, floats (.nan, .inf too), else a string.
    private static func scalarValue(_ scalar: Node.Scalar) -> JSONValue {
        if scalar.style != .plain { return .string(scalar.string) }
        let text = scalar.string
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        case ".inf", ".Inf", ".INF", "+.inf": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        default: break
        }
        if let integer = Int64(text) { return .int(integer) }
        if let number = Double(text), text.contains(where: { $0.isNumber }) { return .double(number) }
        return .string(text)
    }
}
