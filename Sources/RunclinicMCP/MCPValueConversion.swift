import MCP
import RunclinicJSON

/// Between the API's JSON values and the MCP SDK's. Non-finite numbers, which JSON cannot hold,
/// reach an assistant as the strings "NaN", "Infinity" and "-Infinity", as they reach a browser.
enum MCPValueConversion {
    static func value(_ json: JSONValue) -> Value {
        switch json {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .int(Int(number))
        case .double(let number):
            if number.isNaN { return .string("NaN") }
            if number.isInfinite { return .string(number > 0 ? "Infinity" : "-Infinity") }
            return .double(number)
        case .string(let text): return .string(text)
        case .array(let elements): return .array(elements.map(value))
        case .object(let object):
            return .object(Dictionary(object.map { ($0.key, value($0.value)) }, uniquingKeysWith: { $1 }))
        default: return .string(JSONWriter.string(json))
        }
    }

    static func json(_ value: Value) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .int(Int64(number))
        case .double(let number): return .double(number)
        case .string(let text): return .string(text)
        case .data(_, let data): return .string(data.base64EncodedString())
        case .array(let elements): return .array(elements.map(json))
        case .object(let object):
            return .object(JSONObject(object.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) }))
        }
    }
}
