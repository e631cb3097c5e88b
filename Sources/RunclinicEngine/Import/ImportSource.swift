import Foundation

/// One thing to read under an import path: a file or folder holding one run (or, for an MLflow
/// database, many).
enum ImportSource: Sendable {
    /// A wandb run's logs, oldest first: a resumed run (one id) writes a folder per process.
    case wandb(files: [String])
    case tensorboard(
        directory: String, eventFiles: [String], hyperparameterFiles: [String],
        scalarFolders: [TensorBoardRunReader.ScalarFolder], name: String)
    case mlflowRun(directory: String)
    case mlflowDatabase(file: String)
    case table(file: String, layout: TabularRunReader.Layout, name: String)
    /// A Hugging Face Trainer's output folder and the trainer states in it and its checkpoints.
    case huggingface(directory: String, stateFiles: [String], name: String)

    /// The file or folder named in errors and progress.
    var location: String {
        switch self {
        case .wandb(let files): return files[0]
        case .mlflowDatabase(let file), .table(let file, _, _): return file
        case .tensorboard(let directory, _, _, _, _), .mlflowRun(let directory), .huggingface(let directory, _, _):
            return directory
        }
    }

    func read() throws -> [ImportedRun] {
        switch self {
        case .wandb(let files):
            return [try WandbRunReader.read(files)]
        case .tensorboard(let directory, let eventFiles, let hyperparameterFiles, let scalarFolders, let name):
            return [
                try TensorBoardRunReader(
                    directory: directory, eventFiles: eventFiles, hyperparameterFiles: hyperparameterFiles,
                    scalarFolders: scalarFolders, name: name
                ).read()
            ]
        case .mlflowRun(let directory):
            return try MLflowFileStoreReader(runDirectory: directory).read().map { [$0] } ?? []
        case .mlflowDatabase(let file):
            return try MLflowDatabaseReader(path: file).read()
        case .table(let file, let layout, let name):
            return [try TabularRunReader(path: file, layout: layout, name: name).read()]
        case .huggingface(let directory, let stateFiles, let name):
            return [try HuggingFaceRunReader(directory: directory, stateFiles: stateFiles, name: name).read()]
        }
    }
}
