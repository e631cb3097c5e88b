import Foundation
import RunclinicJSON

/// Reads one TensorBoard run: every event file of its folder (one per writer or restart, in name
/// order, which is creation time), plus the subfolders that belong to it: `add_hparams`'s (their
/// hyperparameters become the run's config) and `add_scalars`'s (one metric each).
struct TensorBoardRunReader {
    let directory: String
    let eventFiles: [String]
    let hyperparameterFiles: [String]
    let scalarFolders: [ScalarFolder]
    let name: String

    /// A folder `add_scalars` wrote: its one tag's points become the run's metric `metric`.
    struct ScalarFolder: Sendable {
        let eventFiles: [String]
        let metric: String
    }

    static func isEventFile(_ name: String) -> Bool { name.contains("tfevents") }

    func read() throws -> ImportedRun {
        var events = TensorBoardEvents()
        var tornFiles: [String] = []
        for file in eventFiles + hyperparameterFiles {
            if try Self.decode(file, into: &events) { tornFiles.append(file) }
        }
        var run = ImportedRun(format: .tensorboard, sourcePath: directory, sourceRunID: "", name: name)
        run.metrics = events.metrics
        for folder in scalarFolders {
            var folderEvents = TensorBoardEvents()
            for file in folder.eventFiles where try Self.decode(file, into: &folderEvents) { tornFiles.append(file) }
            let metrics = folderEvents.metrics
            let key = run.metrics.keyIndex(folder.metric)
            for index in 0..<metrics.count {
                run.metrics.append(
                    keyIndex: key, step: metrics.steps[index], value: metrics.values[index], time: metrics.times[index])
            }
        }
        if !events.hyperparameters.isEmpty { run.config = .object(events.hyperparameters) }
        run.startedAt = events.firstTime
        run.endedAt = events.lastTime
        if !tornFiles.isEmpty {
            run.partial =
                "\(tornFiles.joined(separator: ", ")) ends inside a record (a writer still appending): imported the complete records before it"
        }
        return run
    }

    /// Decodes one event file into `events`; true when its last record was cut off.
    static func decode(_ file: String, into events: inout TensorBoardEvents) throws -> Bool {
        let bytes = try SourceFile.bytes(file)
        do {
            let torn = try bytes.withUnsafeBytes { buffer in
                try TFRecordFraming.readRecords(buffer) { payload, offset in
                    do {
                        try events.decodeEvent(payload)
                    } catch let error as ProtobufReader.Malformed {
                        throw TFRecordFraming.Failure(
                            offset: offset,
                            reason: "malformed event (\(error.reason) at byte \(error.offset) of the record)")
                    }
                }
            }
            return torn != nil
        } catch let failure as TFRecordFraming.Failure {
            throw EngineError.unreadableSource(
                ImportSourceError(file: file, offset: failure.offset, reason: failure.reason))
        }
    }
}
