import Foundation

/// Finds the runs under an import path. A file is read as the format its name says (or the one
/// asked for); a folder is walked (symbolic links not followed, so wandb's `latest-run` does not
/// import a run twice) for wandb logs, TensorBoard event folders, MLflow file-store runs and
/// databases, and Lightning `metrics.csv` files, or, with an explicit csv/jsonl format, every file
/// of that kind.
struct ImportSourceFinder {
    let path: String
    let format: ImportFormat

    func find() throws -> [ImportSource] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EngineError.invalidArgument(field: "path", reason: "no such file or folder: \(path)")
        }
        let root = (path as NSString).standardizingPath
        let sources = isDirectory.boolValue ? try walk(root) : try file(root)
        guard !sources.isEmpty else {
            let looked =
                format == .auto
                ? "wandb, TensorBoard, MLflow, Hugging Face Trainer or Lightning CSV runs" : "\(format.rawValue) runs"
            throw EngineError.invalidArgument(field: "path", reason: "found no \(looked) in \(path)")
        }
        return sources
    }

    private func file(_ file: String) throws -> [ImportSource] {
        let name = (file as NSString).lastPathComponent
        let stem = (name as NSString).deletingPathExtension
        let directory = (file as NSString).deletingLastPathComponent
        let detected: ImportFormat
        if format != .auto {
            detected = format
        } else if name.hasSuffix(".wandb") {
            detected = .wandb
        } else if TensorBoardRunReader.isEventFile(name) {
            detected = .tensorboard
        } else if name.hasSuffix(".csv") {
            detected = .csv
        } else if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") {
            detected = .jsonl
        } else if name == "meta.yaml" || MLflowDatabaseReader.isMLflowDatabase(file) {
            detected = .mlflow
        } else if name == HuggingFaceRunReader.stateFileName {
            detected = .huggingface
        } else {
            throw EngineError.invalidArgument(
                field: "format",
                reason:
                    "cannot tell the format of \(file) from its name: give format (tensorboard, mlflow, wandb, huggingface, csv or jsonl)"
            )
        }
        switch detected {
        case .wandb: return [.wandb(files: [file])]
        case .tensorboard:
            return [
                .tensorboard(
                    directory: directory, eventFiles: [file], hyperparameterFiles: [], scalarFolders: [],
                    name: (directory as NSString).lastPathComponent)
            ]
        case .csv: return [.table(file: file, layout: .csv, name: tableRunName(file: file, stem: stem))]
        case .jsonl: return [.table(file: file, layout: .jsonLines, name: stem)]
        case .mlflow:
            if name == "meta.yaml" { return [.mlflowRun(directory: directory)] }
            return [.mlflowDatabase(file: file)]
        case .huggingface:
            let output = HuggingFaceRunReader.outputDirectory(ofStateIn: directory)
            return [.huggingface(directory: output, stateFiles: [file], name: (output as NSString).lastPathComponent)]
        case .auto: return []
        }
    }

    /// Lightning's `<name>/version_<n>/metrics.csv` is named "<name>/version_<n>"; other files by their stem.
    private func tableRunName(file: String, stem: String) -> String {
        let components = file.split(separator: "/").map(String.init)
        if stem == "metrics", components.count >= 3, components[components.count - 2].hasPrefix("version_") {
            return components[components.count - 3] + "/" + components[components.count - 2]
        }
        return stem
    }

    private func walk(_ root: String) throws -> [ImportSource] {
        var eventFiles: [String: [String]] = [:]
        var trainerStates: [String: [String]] = [:]
        /// `run-<id>.wandb` files by name: a resumed run's folders hold one each.
        var wandbLogs: [String: [String]] = [:]
        var sources: [ImportSource] = []
        var pending = [root]
        while let directory = pending.popLast() {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            if wants(.mlflow), MLflowFileStoreReader.isRunDirectory(directory) {
                sources.append(.mlflowRun(directory: directory))
                continue
            }
            for entry in entries.sorted() {
                if entry.hasPrefix(".") || entry == "__pycache__" { continue }  // MLflow's .trash holds deleted runs
                let path = directory + "/" + entry
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                    let type = attributes[.type] as? FileAttributeType
                else { continue }
                if type == .typeDirectory {
                    pending.append(path)
                    continue
                }
                guard type == .typeRegular else { continue }  // symbolic links are not followed
                if entry.hasSuffix(".wandb"), wants(.wandb) {
                    wandbLogs[entry, default: []].append(path)
                } else if entry == HuggingFaceRunReader.stateFileName, wants(.huggingface) {
                    trainerStates[HuggingFaceRunReader.outputDirectory(ofStateIn: directory), default: []].append(path)
                } else if TensorBoardRunReader.isEventFile(entry), wants(.tensorboard) {
                    eventFiles[directory, default: []].append(path)
                } else if wants(.mlflow), [".db", ".sqlite", ".sqlite3"].contains(where: { entry.hasSuffix($0) }),
                    MLflowDatabaseReader.isMLflowDatabase(path)
                {
                    sources.append(.mlflowDatabase(file: path))
                } else if format == .csv ? entry.hasSuffix(".csv") : (format == .auto && entry == "metrics.csv") {
                    sources.append(
                        .table(
                            file: path, layout: .csv,
                            name: tableRunName(file: path, stem: (entry as NSString).deletingPathExtension)))
                } else if format == .jsonl, entry.hasSuffix(".jsonl") || entry.hasSuffix(".ndjson") {
                    sources.append(
                        .table(file: path, layout: .jsonLines, name: (entry as NSString).deletingPathExtension))
                }
            }
        }
        sources += tensorBoardRuns(eventFiles, root: root)
        // One run per wandb id: its folders are named offline-run-<time>-<id>[-n], oldest first.
        for files in wandbLogs.values { sources.append(.wandb(files: files.sorted())) }
        // One run per Trainer output folder, however many checkpoints hold a state.
        for (output, files) in trainerStates {
            sources.append(
                .huggingface(
                    directory: output, stateFiles: files.sorted(), name: (output as NSString).lastPathComponent))
        }
        return sources.sorted { $0.location < $1.location }
    }

    /// One run per folder of event files, except for folders that belong to the run above them:
    /// an `add_hparams` folder (its events carry the hparams plugin's session data) gives that run
    /// its config, and an `add_scalars(T, {key: ...})` folder (`T/key` in tensorboardX, `T_key` in
    /// PyTorch, holding the one tag T) gives it the metric "T/key".
    private func tensorBoardRuns(_ eventFiles: [String: [String]], root: String) -> [ImportSource] {
        var hyperparameterFiles: [String: [String]] = [:]
        var scalarFolders: [String: [TensorBoardRunReader.ScalarFolder]] = [:]
        var runDirectories: [String] = []
        for (directory, files) in eventFiles {
            let parent = (directory as NSString).deletingLastPathComponent
            if eventFiles[parent] != nil, files.allSatisfy(Self.holdsOnlyHyperparameters) {
                hyperparameterFiles[parent, default: []] += files.sorted()
            } else if let owner = Self.nearestEventFolder(above: directory, in: eventFiles, root: root),
                let metric = Self.addScalarsMetric(
                    relativePath: String(directory.dropFirst(owner.count + 1)), files: files)
            {
                scalarFolders[owner, default: []].append(
                    TensorBoardRunReader.ScalarFolder(eventFiles: files.sorted(), metric: metric))
            } else {
                runDirectories.append(directory)
            }
        }
        let rootName = (root as NSString).lastPathComponent
        return runDirectories.map { directory in
            let name = directory == root ? rootName : String(directory.dropFirst(root.count + 1))
            return .tensorboard(
                directory: directory, eventFiles: eventFiles[directory]!.sorted(),
                hyperparameterFiles: hyperparameterFiles[directory] ?? [],
                scalarFolders: (scalarFolders[directory] ?? []).sorted { $0.metric < $1.metric }, name: name)
        }
    }

    private static func nearestEventFolder(above directory: String, in eventFiles: [String: [String]], root: String)
        -> String?
    {
        var candidate = directory
        while candidate.count > root.count {
            candidate = (candidate as NSString).deletingLastPathComponent
            if eventFiles[candidate] != nil { return candidate }
        }
        return nil
    }

    /// "T/key" when the folder holds scalars of the one tag T and is named `T/key` or `T_key`.
    private static func addScalarsMetric(relativePath: String, files: [String]) -> String? {
        var events = TensorBoardEvents()
        for file in files {
            // A folder that cannot be read is left a run of its own, whose import says why.
            guard (try? TensorBoardRunReader.decode(file, into: &events)) != nil else { return nil }
        }
        guard events.metrics.keys.count == 1, let tag = events.metrics.keys.first else { return nil }
        for separator in ["/", "_"] where relativePath.hasPrefix(tag + separator) && relativePath.count > tag.count + 1
        {
            return tag + "/" + relativePath.dropFirst(tag.count + 1)
        }
        return nil
    }

    /// tensorboardX's hparams folders are small and name the plugin's session tag.
    private static func holdsOnlyHyperparameters(_ file: String) -> Bool {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int, size < 1 << 20,
            let bytes = FileManager.default.contents(atPath: file)
        else { return false }
        return bytes.range(of: Data("_hparams_/session_start_info".utf8)) != nil
    }

    private func wants(_ candidate: ImportFormat) -> Bool { format == .auto || format == candidate }
}
