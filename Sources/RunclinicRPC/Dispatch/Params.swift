import RunclinicJSON
import RunclinicText

/// A request's params by name, with typed accessors whose errors name the offending field.
/// Positional params are mapped onto names by the method's declared order.
public struct Params: Sendable {
    public let object: JSONObject
    /// The names a method's contract declares (nil: any). Reading another is a handler that drifted
    /// from its declaration: debug builds, which the tests run, stop on it.
    private let declared: [String]?

    public init(_ object: JSONObject) {
        self.object = object
        declared = nil
    }

    /// A request's params checked against its method's contract: positional values are named in
    /// declared order; a name the method does not declare is refused (with the nearest declared
    /// one); a required param that is missing or null is refused.
    public init(_ value: JSONValue?, contract: MethodContract) throws(ResponseError) {
        let names = contract.paramNames
        switch value {
        case nil, .null?:
            object = JSONObject()
        case .object(let members)?:
            object = members
        case .array(let elements)?:
            guard elements.count <= names.count else {
                throw ResponseError(
                    .invalidParams,
                    "invalid params: \(contract.name) takes at most \(names.count) positional params (\(names.joined(separator: ", "))), got \(elements.count)",
                    data: ["expected": JSONValue(names)])
            }
            object = JSONObject(zip(names, elements).map { ($0, $1) })
        case let other?:
            throw ResponseError(.invalidParams, "invalid params: expected an object or an array, got \(other.typeName)")
        }
        declared = contract.acceptsOtherParams ? nil : names
        if !contract.acceptsOtherParams {
            for key in object.keys where !names.contains(key) && !Self.protocolFields.contains(key) {
                let takes = names.isEmpty ? "it takes no params" : "it takes: \(names.joined(separator: ", "))"
                if let suggestion = ClosestName.closest(to: key, among: names) {
                    throw ResponseError.invalidParams(
                        field: key, "unknown parameter of \(contract.name), did you mean \(suggestion)? (\(takes))",
                        data: ["suggestion": .string(suggestion)])
                }
                throw ResponseError.invalidParams(field: key, "unknown parameter of \(contract.name) (\(takes))")
            }
        }
        for param in contract.params where param.required && !contains(param.name) {
            throw ResponseError.invalidParams(field: param.name, "is required")
        }
    }

    public func contains(_ field: String) -> Bool {
        assert(
            declared?.contains(field) ?? true || Self.protocolFields.contains(field),
            "param \(field) is read but not declared")
        guard let value = object[field] else { return false }
        return !value.isNull
    }

    public func value(_ field: String) -> JSONValue? {
        assert(
            declared?.contains(field) ?? true || Self.protocolFields.contains(field),
            "param \(field) is read but not declared")
        guard let value = object[field], !value.isNull else { return nil }
        return value
    }

    public func required(_ field: String) throws(ResponseError) -> JSONValue {
        guard let value = value(field) else {
            throw ResponseError.invalidParams(field: field, "is required")
        }
        return value
    }

    public static func mismatch(_ field: String, expected: String, got value: JSONValue) -> ResponseError {
        var shown = JSONWriter.string(value)
        if shown.utf8.count > 60 { shown = String(shown.prefix(57)) + "..." }
        return .invalidParams(
            field: field, "expected \(expected), got \(value.typeName) \(shown)",
            data: ["expected": .string(expected), "got": .string(value.typeName)])
    }

    public func string(_ field: String) throws(ResponseError) -> String {
        let value = try required(field)
        guard let text = value.stringValue else { throw Self.mismatch(field, expected: "a string", got: value) }
        try Self.refuseUnstorable(text, field: field)
        return text
    }

    /// Names and paths are stored exactly or refused: SQLite and the file system end a C string at
    /// U+0000, so "a\u0000b" would be stored, and found again, as "a"; a lone surrogate ("\ud800")
    /// has no UTF-8 form at all (the parser marks it with JSONParser.loneSurrogate).
    public static func refuseUnstorable(_ text: String, field: String) throws(ResponseError) {
        // 0xEF leads U+FDD0's UTF-8 form: the scalar check runs only for text that has one.
        guard text.utf8.contains(where: { $0 == 0 || $0 == 0xEF }) else { return }
        if text.utf8.contains(0) {
            throw ResponseError.invalidParams(
                field: field, "must not contain the NUL character (U+0000): it would cut the text where it is stored")
        }
        if text.unicodeScalars.contains(JSONParser.loneSurrogate) {
            throw ResponseError.invalidParams(
                field: field,
                "must not contain a lone surrogate (\\ud800-\\udfff without its pair): no UTF-8 text can hold it, so it cannot be stored as sent"
            )
        }
    }

    public func optionalString(_ field: String) throws(ResponseError) -> String? {
        guard contains(field) else { return nil }
        return try string(field)
    }

    public func int(_ field: String) throws(ResponseError) -> Int64 {
        let value = try required(field)
        guard let number = value.intValue else { throw Self.mismatch(field, expected: "an integer", got: value) }
        return number
    }

    public func optionalInt(_ field: String) throws(ResponseError) -> Int64? {
        guard contains(field) else { return nil }
        return try int(field)
    }

    public func double(_ field: String) throws(ResponseError) -> Double {
        let value = try required(field)
        guard let number = value.doubleValue else { throw Self.mismatch(field, expected: "a number", got: value) }
        return number
    }

    public func optionalDouble(_ field: String) throws(ResponseError) -> Double? {
        guard contains(field) else { return nil }
        return try double(field)
    }

    public func optionalBool(_ field: String) throws(ResponseError) -> Bool? {
        guard let value = value(field) else { return nil }
        guard let flag = value.boolValue else { throw Self.mismatch(field, expected: "a boolean", got: value) }
        return flag
    }

    public func optionalObject(_ field: String) throws(ResponseError) -> JSONObject? {
        guard let value = value(field) else { return nil }
        guard let members = value.objectValue else { throw Self.mismatch(field, expected: "an object", got: value) }
        return members
    }

    public func optionalStringArray(_ field: String) throws(ResponseError) -> [String]? {
        guard let value = value(field) else { return nil }
        guard let elements = value.arrayValue else {
            throw Self.mismatch(field, expected: "an array of strings", got: value)
        }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard let text = element.stringValue else {
                throw Self.mismatch("\(field)[\(index)]", expected: "a string", got: element)
            }
            try Self.refuseUnstorable(text, field: "\(field)[\(index)]")
            strings.append(text)
        }
        return strings
    }

    /// LSP's progress tokens, which any request may carry.
    static let protocolFields: Set<String> = ["workDoneToken", "partialResultToken"]
}
