/// The log formats `import` reads. `auto` finds every run of every format under a path.
public enum ImportFormat: String, Sendable, CaseIterable {
    case auto, tensorboard, mlflow, wandb, huggingface, csv, jsonl
}
