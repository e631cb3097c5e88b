import RunclinicJSON

/// The MCP tools: each is one JSON-RPC method of the API, with its description and input schema
/// read from the method's declaration (schema/openrpc.json), never written a second time.
public struct ToolCatalog: Sendable {
    public struct Entry: Sendable {
        public let tool: String
        public let method: String
        /// Params an assistant does not set (a tool's own defaults): merged under its arguments.
        public let defaults: JSONObject
        /// Params not offered (they write files or serve other clients).
        public let hidden: Set<String>
        public let description: String
        public let inputSchema: JSONValue
    }

    public let entries: [Entry]

    /// Which method each tool calls; the order is the order `tools/list` gives.
    static let mapping: [(tool: String, method: String, defaults: JSONObject, hidden: Set<String>, note: String)] = [
        ("list_runs", "run.list", [:], [], ""),
        ("get_run", "run.get", [:], [], ""),
        (
            "get_metric_history", "run.metrics", ["max_points": 500], [],
            " For an assistant the series are thinned to `max_points` (500 unless given): each step range keeps its lowest and highest value, and NaN or infinity where there was one."
        ),
        ("get_anomalies", "run.anomalies", [:], [], ""),
        ("get_actions", "run.actions", [:], [], ""),
        (
            "analyze_run", "analyze.run", [:], ["output_dir", "formats"],
            " The reply's text is the key finding, the root causes with their evidence, and what to do; the structured content is the JSON summary."
        ),
        ("compare_runs", "compare.runs", [:], ["output_dir", "formats"], ""),
        ("hyperparameter_impact", "compare.hyperparameters", [:], [], ""),
        ("list_audits", "audit.list", [:], [], ""),
        ("audit_findings", "audit.findings", [:], [], ""),
        ("audit_images", "audit.run", [:], ["report_dir"], ""),
        ("import_run", "import.run", [:], [], ""),
    ]

    public init(document: JSONValue) throws {
        guard let methods = document["methods"]?.arrayValue else { throw CatalogError("the document has no methods") }
        var byName: [String: JSONValue] = [:]
        for method in methods { if let name = method["name"]?.stringValue { byName[name] = method } }
        entries = try Self.mapping.map { spec in
            guard let method = byName[spec.method] else {
                throw CatalogError("no method \(spec.method) for tool \(spec.tool)")
            }
            var properties = JSONObject()
            var required: [JSONValue] = []
            for param in method["params"]?.arrayValue ?? [] {
                guard let name = param["name"]?.stringValue, !spec.hidden.contains(name) else { continue }
                var schema = param["schema"]?.objectValue ?? [:]
                if let description = param["description"]?.stringValue { schema["description"] = .string(description) }
                properties[name] = .object(schema)
                if param["required"]?.boolValue == true, spec.defaults[name] == nil { required.append(.string(name)) }
            }
            let summary = method["summary"]?.stringValue ?? spec.method
            let details = method["description"]?.stringValue.map { " " + $0 } ?? ""
            return Entry(
                tool: spec.tool, method: spec.method, defaults: spec.defaults, hidden: spec.hidden,
                description: summary + details + spec.note + " (JSON-RPC method `\(spec.method)`.)",
                inputSchema: [
                    "type": "object", "properties": .object(properties), "required": .array(required),
                    "additionalProperties": false,
                ])
        }
    }

    public func entry(named tool: String) -> Entry? {
        entries.first { $0.tool == tool }
    }

    struct CatalogError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = "MCP tools: \(description)" }
    }
}
