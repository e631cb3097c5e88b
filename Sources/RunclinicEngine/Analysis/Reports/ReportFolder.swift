import Foundation

/// The folder a report is written to. Failures name the param that chose it (`output_dir`,
/// `report_dir`), since that is what the caller can change.
struct ReportFolder {
    let path: String
    let field: String

    /// Creates the folder, or a folder `name` inside it, with its parents, if missing.
    func create(_ name: String? = nil) throws {
        let target = name.map { (path as NSString).appendingPathComponent($0) } ?? path
        do {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        } catch {
            throw EngineError.invalidArgument(
                field: field, reason: "cannot create \(target): \(error.localizedDescription)")
        }
    }

    /// Writes `text` to the file `name` in the folder; returns its path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        try write(Data(text.utf8), to: name)
    }

    /// Writes `bytes` to the file `name` in the folder; returns its path.
    @discardableResult
    func write(_ bytes: Data, to name: String) throws -> String {
        let target = (path as NSString).appendingPathComponent(name)
        do {
            try bytes.write(to: URL(fileURLWithPath: target), options: .atomic)
        } catch {
            throw EngineError.invalidArgument(
                field: field, reason: "cannot write \(target): \(error.localizedDescription)")
        }
        return target
    }
}
