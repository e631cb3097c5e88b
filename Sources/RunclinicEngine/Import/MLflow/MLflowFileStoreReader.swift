import Foundation
import RunclinicJSON

/// Reads one run of an MLflow file store: `<experiment>/<run>/meta.yaml`, `metrics/<key>` files of
/// "timestamp value step" lines (a key holding "/" is a subfolder), `params/<key>`, `tags/<key>`.
struct MLflowFileStoreReader {
    let runDirectory: String

    /// A run folder: a `meta.yaml` naming a run, beside a `metrics` folder.
    static func isRunDirectory(_ path: String) -> Bool {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        // MLflow 3 keeps each logged model (`log_model`) as `<experiment>/models/m-<id>/`, with a
        // meta.yaml, params and metrics of its own: a copy of its run's, not a run.
        let parent = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
        if parent == "models", (path as NSString).lastPathComponent.hasPrefix("m-") { return false }
        // A run's folder holds metrics/, params/ and tags/ beside its meta.yaml (an experiment's
        // holds runs); any one will do: a copy (git, an archive) drops the empty ones.
        return manager.fileExists(atPath: path + "/meta.yaml")
            && ["metrics", "params", "tags"].contains { folder in
                manager.fileExists(atPath: path + "/" + folder, isDirectory: &isDirectory) && isDirectory.boolValue
            }
    }

    func read() throws -> ImportedRun? {
        let metaPath = runDirectory + "/meta.yaml"
        let meta = try Self.yaml(metaPath)
        if meta["lifecycle_stage"]?.stringValue == "deleted" { return nil }
        let runID = meta["run_id"]?.stringValue ?? meta["run_uuid"]?.stringValue ?? Self.lastComponent(runDirectory)
        let tags = try Self.files(under: runDirectory + "/tags")
        let name = meta["run_name"]?.stringValue ?? tags["mlflow.runName"] ?? runID
        var run = ImportedRun(format: .mlflow, sourcePath: runDirectory, sourceRunID: runID, name: name)
        let experimentDirectory = (runDirectory as NSString).deletingLastPathComponent
        if let experiment = try? Self.yaml(experimentDirectory + "/meta.yaml"),
            let experimentName = experiment["name"]?.stringValue
        {
            run.project = experimentName
        }
        run.startedAt = meta["start_time"]?.doubleValue.map { $0 / 1000 }
        run.endedAt = meta["end_time"]?.doubleValue.map { $0 / 1000 }
        run.status = MLflowParams.status(meta["status"].map(Self.text) ?? "3")
        let params = try Self.files(under: runDirectory + "/params")
        if !params.isEmpty {
            run.config = .object(
                JSONObject(params.sorted { $0.key < $1.key }.map { ($0.key, MLflowParams.value($0.value)) }))
        }
        run.tags = tags.filter { !$0.key.hasPrefix("mlflow.") }.sorted { $0.key < $1.key }.map {
            "\($0.key)=\($0.value)"
        }
        // A nested run (a sweep's trial) names its parent run.
        if let parentID = tags["mlflow.parentRunId"], !parentID.isEmpty {
            let parentMeta = try? Self.yaml(experimentDirectory + "/" + parentID + "/meta.yaml")
            let parentTags = (try? Self.files(under: experimentDirectory + "/" + parentID + "/tags")) ?? [:]
            let parentName = parentMeta?["run_name"]?.stringValue ?? parentTags["mlflow.runName"] ?? parentID
            run.tags.append("parent=\(parentName)")
        }
        for (key, path) in try Self.paths(under: runDirectory + "/metrics").sorted(by: { $0.key < $1.key }) {
            try Self.readMetric(path, key: key, into: &run.metrics)
        }
        return run
    }

    /// Lines "timestamp_ms value step" (two fields in very old runs, five with a dataset).
    private static func readMetric(_ path: String, key: String, into metrics: inout ImportedMetrics) throws {
        let bytes = try SourceFile.bytes(path)
        let keyIndex = metrics.keyIndex(key)
        var lineStart = 0
        var lineNumber = 0
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            lineNumber += 1
            let line = String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self)
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if !fields.isEmpty {
                guard fields.count >= 2, let timestamp = Double(fields[0]), let value = LoggedNumber.parse(fields[1]),
                    fields.count < 3 || Int64(fields[2]) != nil
                else {
                    throw EngineError.unreadableSource(
                        ImportSourceError(
                            file: path, offset: lineStart,
                            reason: "line \(lineNumber) is not \"timestamp value step\": \"\(line.prefix(80))\""))
                }
                let step = fields.count >= 3 ? Int64(fields[2])! : 0
                metrics.append(keyIndex: keyIndex, step: step, value: value, time: timestamp / 1000)
            }
            lineStart = lineEnd + 1
        }
    }

    private static func yaml(_ path: String) throws -> JSONObject {
        try SourceFile.yaml(path).objectValue ?? JSONObject()
    }

    private static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .int(let number): return String(number)
        default: return JSONWriter.string(value)
        }
    }

    /// Every file under `directory`, keyed by its path relative to it ("train/loss").
    private static func paths(under directory: String) throws -> [String: String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [:] }
        var paths: [String: String] = [:]
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = directory + "/" + relative
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                paths[relative] = path
            }
        }
        return paths
    }

    private static func files(under directory: String) throws -> [String: String] {
        try paths(under: directory).mapValues { try SourceFile.text($0) }
    }

    private static func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
