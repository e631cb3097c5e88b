import RunclinicJSON

extension MetricValue {
    /// Metrics as a JSON object text, NaN and Infinity written as Python writes them.
    static func jsonText(_ metrics: [MetricValue]) -> String {
        JSONWriter.string(.object(JSONObject(metrics.map { ($0.name, .double($0.value)) })))
    }

    /// Reads back what `jsonText` wrote; anything that is not a number is skipped.
    static func parse(jsonText text: String) -> [MetricValue] {
        guard let object = (try? JSONParser.parse(text))?.objectValue else { return [] }
        return object.compactMap { member in member.value.doubleValue.map { MetricValue(member.key, $0) } }
    }
}
