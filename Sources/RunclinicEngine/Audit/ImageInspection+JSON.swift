import Foundation
import RunclinicJSON

/// An inspection as JSON, in our own codec: it crosses the pipe from every decoding worker and is
/// stored for later audits, and Foundation's Codable JSON took more CPU than the server's own work
/// on an audit. The keys are the properties' names, as Codable wrote them, so inspections stored
/// before still read, and SQL can pick a measure out of the stored text (`$.measures.width`).
/// Absent optionals are left out; numbers that are not finite are written as the strings "NaN",
/// "Infinity" and "-Infinity", which PostgreSQL's jsonb accepts; byte fields are base64.
extension ImageInspection {
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("version", JSONValue(version)), ("path", JSONValue(path))]
        if let header { members.append(("header", header.json)) }
        if let measures { members.append(("measures", measures.json)) }
        if let decodeError { members.append(("decodeError", JSONValue(decodeError))) }
        if let unreadable { members.append(("unreadable", unreadable.json)) }
        if let libraryError { members.append(("libraryError", JSONValue(libraryError))) }
        if let contentHash { members.append(("contentHash", JSONValue.unsigned(contentHash))) }
        return .object(JSONObject(members))
    }

    /// The inspection `json` holds; throws naming the first field that is missing or of the
    /// wrong type.
    public init(json: JSONValue) throws(InspectionJSONError) {
        let fields = try InspectionFields(json, "inspection")
        self.init(path: try fields.string("path"))
        version = try fields.int("version")
        header = try fields.optionalObject("header").map(ImageHeader.init(fields:))
        measures = try fields.optionalObject("measures").map(ImageMeasures.init(fields:))
        decodeError = try fields.optionalString("decodeError")
        unreadable = try fields.optionalObject("unreadable").map(Unreadable.init(fields:))
        libraryError = try fields.optionalString("libraryError")
        contentHash = try fields.optionalUnsigned("contentHash")
    }

    /// One line of the workers' protocol, or one stored inspection: compact, strict JSON.
    public func jsonBytes() -> [UInt8] {
        JSONWriter.encode(json, nonFinite: .strings)
    }

    public init(jsonBytes: [UInt8]) throws(InspectionJSONError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(jsonBytes)
        } catch {
            throw InspectionJSONError(field: "inspection", problem: "is not JSON (\(error))")
        }
        try self.init(json: value)
    }
}

/// A stored or piped inspection that does not read: which field, and what is wrong with it.
public struct InspectionJSONError: Error, CustomStringConvertible, Equatable {
    public let field: String
    public let problem: String
    public var description: String { "\(field) \(problem)" }
}

extension ImageHeader {
    var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let format { members.append(("format", JSONValue(format.rawValue))) }
        if let width { members.append(("width", JSONValue(width))) }
        if let height { members.append(("height", JSONValue(height))) }
        members.append(("isTruncated", JSONValue(isTruncated)))
        if let exifOrientation { members.append(("exifOrientation", JSONValue(exifOrientation))) }
        members.append(("byteCount", JSONValue(byteCount)))
        return .object(JSONObject(members))
    }

    init(fields: InspectionFields) throws(InspectionJSONError) {
        self.init(byteCount: try fields.int("byteCount"))
        if let name = try fields.optionalString("format") {
            guard let format = Format(rawValue: name) else { throw fields.error("format", "names no known format") }
            self.format = format
        }
        width = try fields.optionalInt("width")
        height = try fields.optionalInt("height")
        isTruncated = try fields.optionalBool("isTruncated") ?? false
        exifOrientation = try fields.optionalInt("exifOrientation")
    }
}

extension ImageMeasures {
    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("width", JSONValue(width)), ("height", JSONValue(height)), ("channels", JSONValue(channels)),
            ("laplacianVariance", JSONValue(laplacianVariance)), ("sharpness", JSONValue(sharpness)),
            ("edgeDensity", JSONValue(edgeDensity)), ("meanBrightness", JSONValue(meanBrightness)),
            ("darkFraction", JSONValue(darkFraction)), ("brightFraction", JSONValue(brightFraction)),
            ("entropy", JSONValue(entropy)), ("darkestLevel", JSONValue(darkestLevel)),
            ("brightestLevel", JSONValue(brightestLevel)), ("colourfulness", JSONValue(colourfulness)),
            ("differenceHash", JSONValue.unsigned(differenceHash)),
            ("thumbnail", JSONValue(thumbnail.base64EncodedString())),
            ("thumbnailRange", JSONValue(thumbnailRange)),
        ]
        func add(_ key: String, _ value: Double?) {
            if let value { members.append((key, JSONValue(value))) }
        }
        if let textMarks { members.append(("textMarks", JSONValue(textMarks))) }
        if let pageLines { members.append(("pageLines", pageLines.json)) }
        add("sharpnessRatio", sharpnessRatio)
        add("colourSpread", colourSpread)
        add("blurEffect", blurEffect)
        add("detailRetention", detailRetention)
        add("detailAnisotropy", detailAnisotropy)
        add("anisotropicShare", anisotropicShare)
        add("paperShare", paperShare)
        add("coarseDetail", coarseDetail)
        add("clippedFraction", clippedFraction)
        add("highlightLevel", highlightLevel)
        if let pageOutline { members.append(("pageOutline", pageOutline.json)) }
        if let keypoints { members.append(("keypoints", JSONValue(keypoints.base64EncodedString()))) }
        return .object(JSONObject(members))
    }

    init(fields: InspectionFields) throws(InspectionJSONError) {
        self.init(
            width: try fields.int("width"), height: try fields.int("height"), channels: try fields.int("channels"),
            laplacianVariance: try fields.double("laplacianVariance"), sharpness: try fields.double("sharpness"),
            edgeDensity: try fields.double("edgeDensity"), meanBrightness: try fields.double("meanBrightness"),
            darkFraction: try fields.double("darkFraction"), brightFraction: try fields.double("brightFraction"),
            entropy: try fields.double("entropy"), darkestLevel: try fields.double("darkestLevel"),
            brightestLevel: try fields.double("brightestLevel"), colourfulness: try fields.double("colourfulness"),
            differenceHash: try fields.unsigned("differenceHash"), thumbnail: try fields.bytes("thumbnail"),
            thumbnailRange: try fields.double("thumbnailRange"), textMarks: try fields.optionalInt("textMarks"),
            pageLines: try fields.optionalObject("pageLines").map(PageLines.init(fields:)),
            sharpnessRatio: try fields.optionalDouble("sharpnessRatio"),
            colourSpread: try fields.optionalDouble("colourSpread"),
            blurEffect: try fields.optionalDouble("blurEffect"),
            detailRetention: try fields.optionalDouble("detailRetention"),
            detailAnisotropy: try fields.optionalDouble("detailAnisotropy"),
            anisotropicShare: try fields.optionalDouble("anisotropicShare"),
            paperShare: try fields.optionalDouble("paperShare"),
            coarseDetail: try fields.optionalDouble("coarseDetail"),
            clippedFraction: try fields.optionalDouble("clippedFraction"),
            highlightLevel: try fields.optionalDouble("highlightLevel"),
            pageOutline: try fields.optionalObject("pageOutline").map(PageOutline.init(fields:)),
            keypoints: try fields.optionalBytes("keypoints"))
    }
}

extension PageLines {
    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("marks", JSONValue(marks)), ("angle", JSONValue(angle)), ("agreement", JSONValue(agreement)),
        ]
        if let upright { members.append(("upright", JSONValue(upright))) }
        if let alignment { members.append(("alignment", JSONValue(alignment))) }
        if let upsideDown { members.append(("upsideDown", JSONValue(upsideDown))) }
        return .object(JSONObject(members))
    }

    init(fields: InspectionFields) throws(InspectionJSONError) {
        self.init(
            marks: try fields.int("marks"), angle: try fields.double("angle"),
            agreement: try fields.double("agreement"), upright: try fields.optionalDouble("upright"),
            alignment: try fields.optionalDouble("alignment"), upsideDown: try fields.optionalDouble("upsideDown"))
    }
}

extension PageOutline {
    var json: JSONValue {
        [
            "area": JSONValue(area), "angle": JSONValue(angle), "agreement": JSONValue(agreement),
            "fourSided": JSONValue(fourSided),
        ]
    }

    init(fields: InspectionFields) throws(InspectionJSONError) {
        self.init(
            area: try fields.double("area"), angle: try fields.double("angle"),
            agreement: try fields.double("agreement"), fourSided: try fields.double("fourSided"))
    }
}

extension ImageInspection.Unreadable {
    var json: JSONValue {
        var members: [(String, JSONValue)] = [("detail", JSONValue(detail))]
        if let score { members.append(("score", JSONValue(score))) }
        return .object(JSONObject(members))
    }

    init(fields: InspectionFields) throws(InspectionJSONError) {
        self.init(score: try fields.optionalDouble("score"), detail: try fields.string("detail"))
    }
}

extension JSONValue {
    /// A 64-bit hash: exact as an integer literal, past Int64 too.
    static func unsigned(_ value: UInt64) -> JSONValue {
        value <= UInt64(Int64.max) ? .int(Int64(value)) : .literal(String(value))
    }
}

/// The members of one object of an inspection, read by name and type; an absent member and
/// `null` both read as nil for an optional.
struct InspectionFields {
    let object: JSONObject
    /// Where this object sits ("inspection.measures"), for errors.
    let place: String

    init(_ value: JSONValue, _ place: String) throws(InspectionJSONError) {
        guard case .object(let object) = value else {
            throw InspectionJSONError(field: place, problem: "must be an object, not \(value.typeName)")
        }
        self.object = object
        self.place = place
    }

    func error(_ key: String, _ problem: String) -> InspectionJSONError {
        InspectionJSONError(field: "\(place).\(key)", problem: problem)
    }

    private func present(_ key: String) -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    private func required<Value>(_ key: String, _ read: (String) throws(InspectionJSONError) -> Value?)
        throws(InspectionJSONError) -> Value
    {
        guard let value = try read(key) else { throw error(key, "is missing") }
        return value
    }

    /// The member converted, nil when absent; one that does not convert is an error naming what
    /// was expected.
    private func optional<Value>(_ key: String, _ expected: String, _ convert: (JSONValue) -> Value?)
        throws(InspectionJSONError) -> Value?
    {
        guard let value = present(key) else { return nil }
        guard let converted = convert(value) else { throw error(key, "must be \(expected), not \(value.typeName)") }
        return converted
    }

    func optionalDouble(_ key: String) throws(InspectionJSONError) -> Double? {
        try optional(key, "a number") { $0.numberValue }
    }

    func optionalInt(_ key: String) throws(InspectionJSONError) -> Int? {
        try optional(key, "an integer") { $0.intValue.flatMap { Int(exactly: $0) } }
    }

    func optionalUnsigned(_ key: String) throws(InspectionJSONError) -> UInt64? {
        try optional(key, "an unsigned 64-bit integer") { value in
            switch value {
            case .int(let number) where number >= 0: return UInt64(number)
            case .literal(let text): return UInt64(text)
            default: return nil
            }
        }
    }

    func optionalString(_ key: String) throws(InspectionJSONError) -> String? {
        try optional(key, "a string") { $0.stringValue }
    }

    func optionalBool(_ key: String) throws(InspectionJSONError) -> Bool? {
        try optional(key, "true or false") { $0.boolValue }
    }

    func optionalBytes(_ key: String) throws(InspectionJSONError) -> Data? {
        guard let text = try optionalString(key) else { return nil }
        guard let bytes = Data(base64Encoded: text) else { throw error(key, "must be base64") }
        return bytes
    }

    func optionalObject(_ key: String) throws(InspectionJSONError) -> InspectionFields? {
        guard let value = present(key) else { return nil }
        return try InspectionFields(value, "\(place).\(key)")
    }

    func double(_ key: String) throws(InspectionJSONError) -> Double { try required(key, optionalDouble) }
    func int(_ key: String) throws(InspectionJSONError) -> Int { try required(key, optionalInt) }
    func unsigned(_ key: String) throws(InspectionJSONError) -> UInt64 { try required(key, optionalUnsigned) }
    func string(_ key: String) throws(InspectionJSONError) -> String { try required(key, optionalString) }
    func bytes(_ key: String) throws(InspectionJSONError) -> Data { try required(key, optionalBytes) }
}
