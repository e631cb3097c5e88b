import Foundation
import RunclinicJSON

/// Reads a Hugging Face `Trainer` run from its output folder: `trainer_state.json` (written in each
/// `checkpoint-N/` folder and, by `save_state()`, in the folder itself) holds `log_history`, one
/// object per logging or evaluation event (`loss`, `learning_rate`, `grad_norm`, `epoch`; `eval_*`
/// at evaluations; the run's totals, `train_runtime` and the like, in the last). The state with the
/// most steps is read: each checkpoint's holds the history up to it. A run whose newest state is a
/// checkpoint short of `max_steps`, not told to stop, is imported `killed` and says so in `partial`. Every numeric member of a row
/// is a point at its `step`; the rows carry no time, so the state file's last change stands for
/// all. The config is the Trainer's own settings (batch size, epochs, steps), a hyperparameter
/// search's `trial_params`, and the model's `config.json` under `model`.
struct HuggingFaceRunReader {
    /// The output folder, and its trainer states (any order).
    let directory: String
    let stateFiles: [String]
    let name: String

    static let stateFileName = "trainer_state.json"
    /// The Trainer's settings that are hyperparameters (the rest of the state is progress).
    static let settingKeys = [
        "train_batch_size", "num_train_epochs", "max_steps", "logging_steps", "eval_steps",
        "save_steps",
    ]

    /// `checkpoint-500` → the run is the folder above it.
    static func outputDirectory(ofStateIn folder: String) -> String {
        let last = (folder as NSString).lastPathComponent
        guard last.hasPrefix("checkpoint-"), Int(last.dropFirst("checkpoint-".count)) != nil else { return folder }
        return (folder as NSString).deletingLastPathComponent
    }

    func read() throws -> ImportedRun {
        var newest: (file: String, state: JSONObject, step: Int64)?
        for file in stateFiles {
            let state = try Self.state(file)
            let step = state["global_step"]?.intValue ?? 0
            // The latest checkpoint's state; the folder's own (save_state) wins a tie.
            if newest == nil || step > newest!.step
                || (step == newest!.step && (file as NSString).deletingLastPathComponent == directory)
            {
                newest = (file, state, step)
            }
        }
        guard let (file, state, globalStep) = newest else {
            throw EngineError.invalidArgument(field: "path", reason: "no \(Self.stateFileName) in \(directory)")
        }
        guard case .array(let history)? = state["log_history"] else {
            throw EngineError.unreadableSource(
                ImportSourceError(file: file, offset: 0, reason: "no log_history: not a Trainer state"))
        }
        let time = SourceFile.modificationTime(file) ?? 0
        var run = ImportedRun(format: .huggingface, sourcePath: directory, sourceRunID: "", name: name)
        for (index, row) in history.enumerated() {
            guard let members = row.objectValue, let step = members["step"]?.intValue else {
                throw EngineError.unreadableSource(
                    ImportSourceError(file: file, offset: 0, reason: "log_history[\(index)] has no integer step"))
            }
            for (key, value) in members where key != "step" {
                guard value.boolValue == nil, let number = value.doubleValue else { continue }
                run.metrics.append(key, step: step, value: number, time: time)
            }
        }
        guard run.metrics.count > 0 else {
            throw EngineError.unreadableSource(
                ImportSourceError(file: file, offset: 0, reason: "log_history holds no logged value"))
        }
        run.startedAt = time
        run.endedAt = time
        // A run ended when the Trainer saved its state after training, reached max_steps, or was
        // told to stop (early stopping); else its newest checkpoint is as far as it got.
        let savedAtEnd = (file as NSString).deletingLastPathComponent == directory
        let maxSteps = state["max_steps"]?.intValue ?? 0
        let toldToStop =
            state["stateful_callbacks"]?["TrainerControl"]?["args"]?["should_training_stop"]?.boolValue == true
        if !savedAtEnd, !toldToStop, maxSteps > 0, globalStep < maxSteps {
            run.status = .killed
            run.partial =
                "no \(Self.stateFileName) beside the checkpoints and the newest is at step \(globalStep) of \(maxSteps): the run ended early (or is still running)"
        }
        run.config = config(state)
        return run
    }

    private func config(_ state: JSONObject) -> JSONValue? {
        var config = JSONObject()
        for key in Self.settingKeys { if let value = state[key], value != .null { config[key] = value } }
        if case .object(let trial)? = state["trial_params"] {
            config.merge(trial)
        }
        if let model = try? Self.state((directory as NSString).appendingPathComponent("config.json")) {
            config["model"] = .object(model)
        }
        return config.isEmpty ? nil : .object(config)
    }

    private static func state(_ file: String) throws -> JSONObject {
        let bytes = try SourceFile.bytes(file)
        do {
            guard let object = try JSONParser.parse(bytes).objectValue else {
                throw EngineError.unreadableSource(
                    ImportSourceError(file: file, offset: 0, reason: "not a JSON object"))
            }
            return object
        } catch let error as JSONParseError {
            throw EngineError.unreadableSource(
                ImportSourceError(file: file, offset: error.offset, reason: "not valid JSON: \(error.reason)"))
        }
    }
}
