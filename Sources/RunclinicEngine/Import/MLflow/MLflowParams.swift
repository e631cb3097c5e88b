import RunclinicJSON

/// MLflow keeps every param as the text of Python's `str(value)`: numbers, `True`/`False` and
/// `None` are read back as such (so hyperparameter analysis sees numbers), anything else stays text.
enum MLflowParams {
    static func value(_ text: String) -> JSONValue {
        switch text {
        case "True", "true": return .bool(true)
        case "False", "false": return .bool(false)
        case "None": return .null
        default: break
        }
        // Only a number's own spelling is read as that number: "007", "1.10", "+5" or an integer
        // past 64 bits are written by hand (a zip code, a version), and stay text.
        if let integer = Int64(text), String(integer) == text { return .int(integer) }
        // Swift writes a Double as Python's str(float) does: the shortest digits, "1e-05", "1e+16".
        if let number = LoggedNumber.parse(text), number.isFinite, "\(number)" == text { return .double(number) }
        return .string(text)
    }

    /// MLflow's run status, as the file store (1-5) or the SQLite store (text) records it.
    static func status(_ value: String) -> RunStatus {
        switch value {
        case "1", "2", "RUNNING", "SCHEDULED": return .running
        case "4", "FAILED": return .failed
        case "5", "KILLED": return .killed
        default: return .finished
        }
    }
}
