import Foundation

/// A small SVG writer: elements with escaped attributes and text, so charts are built as a tree
/// of elements rather than by pasting strings together.
struct SVGDocument {
    private(set) var body: [String] = []
    let width: Double
    let height: Double
    let title: String

    init(width: Double, height: Double, title: String) {
        self.width = width
        self.height = height
        self.title = title
    }

    mutating func element(_ name: String, _ attributes: KeyValuePairs<String, String>, text: String? = nil) {
        var tag = "<\(name)"
        for (key, value) in attributes { tag += " \(key)=\"\(Self.escape(value))\"" }
        if let text { tag += ">\(Self.escape(text))</\(name)>" } else { tag += "/>" }
        body.append(tag)
    }

    var text: String {
        let header =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">"
        return ([header, "<title>\(Self.escape(title))</title>"] + body + ["</svg>"]).joined(separator: "\n")
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Coordinates with two decimals: enough for the eye, small files.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int64(rounded)) : String(format: "%.2f", rounded)
    }
}
