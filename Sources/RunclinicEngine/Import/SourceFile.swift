import Foundation
import RunclinicJSON

/// Reading a source file whole: the formats here are read front to back once, and a run's log
/// is small next to memory (a 20,000-step wandb run is 7.5 MB).
enum SourceFile {
    static func bytes(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EngineError.unreadableSource(ImportSourceError(file: path, offset: nil, reason: "cannot be read"))
        }
        return [UInt8](data)
    }

    static func text(_ path: String) throws -> String {
        String(decoding: try bytes(path), as: UTF8.self)
    }

    /// A YAML file (meta.yaml, hparams.yaml) as a JSON value; YAML it cannot read safely (e.g.
    /// `!!python/...` tags) is refused naming the file.
    static func yaml(_ path: String) throws -> JSONValue {
        let text = try Self.text(path)
        do {
            return try YAMLDocument.parse(text)
        } catch {
            throw EngineError.unreadableSource(
                ImportSourceError(file: path, offset: nil, reason: "not valid YAML: \(error)"))
        }
    }

    static func modificationTime(_ path: String) -> Double? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date)?.timeIntervalSince1970
    }
}
