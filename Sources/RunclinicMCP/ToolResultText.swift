import RunclinicJSON

/// What a tool's reply says in words, for an assistant to read; the whole result goes beside it as
/// structured content.
enum ToolResultText {
    static func render(tool: String, result: JSONValue) -> String {
        switch tool {
        case "analyze_run": return analysis(result)
        default: return JSONWriter.string(result)
        }
    }

    /// The key finding, each root cause with its best hypotheses and their evidence, what to do.
    static func analysis(_ result: JSONValue) -> String {
        var lines: [String] = []
        if let finding = result["key_finding"]?.stringValue { lines.append("Key finding: \(finding)") }
        let causes = result["root_causes"]?.arrayValue ?? []
        if !causes.isEmpty {
            lines.append("")
            lines.append("Root causes:")
            for cause in causes {
                let incident = cause["incident"]?["description"]?.stringValue ?? "an incident"
                lines.append("- \(incident)")
                for hypothesis in (cause["hypotheses"]?.arrayValue ?? []).prefix(3) {
                    let name = hypothesis["cause"]?.stringValue ?? "?"
                    let confidence = hypothesis["confidence"]?.doubleValue.map { String(format: "%.2f", $0) } ?? "?"
                    let defect = hypothesis["defect"]?.stringValue.map { ", \($0)" } ?? ""
                    lines.append("  - \(name)\(defect) (confidence \(confidence))")
                    for evidence in (hypothesis["evidence"]?.arrayValue ?? []).prefix(4) {
                        if let text = evidence.stringValue { lines.append("    - \(text)") }
                    }
                }
            }
        }
        let advice = result["summary"]?["recommendations"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !advice.isEmpty {
            lines.append("")
            lines.append("What to do:")
            lines += advice.map { "- \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
