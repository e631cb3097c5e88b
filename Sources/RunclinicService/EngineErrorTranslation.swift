import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

/// Maps engine errors onto JSON-RPC errors: a message a person understands and data a program can use.
enum EngineErrorTranslation {
    static func responseError(for error: any Error) -> ResponseError {
        if let error = error as? ResponseError { return error }
        if let error = error as? ConfigurationError {
            return ResponseError.invalidParams(
                field: "config.\(error.path)", "expected \(error.expected), got \(error.got)",
                data: ["expected": .string(error.expected), "got": .string(error.got)])
        }
        guard let engineError = error as? EngineError else {
            return ResponseError(.internalError, "internal error: \(error)")
        }
        let message = engineError.description
        switch engineError {
        case .unknownRun(let run, let suggestion):
            var data: JSONObject = ["run": .string(run)]
            if let suggestion { data["suggestion"] = .string(suggestion) }
            return ResponseError(.unknownRun, message, data: .object(data))
        case .ambiguousRun(let name, let projects):
            return ResponseError(.ambiguousRun, message, data: ["run": .string(name), "projects": JSONValue(projects)])
        case .runNotRunning(let run, let status):
            return ResponseError(
                .runNotRunning, message, data: ["run": .string(run), "status": .string(status.rawValue)])
        case .stepWentBackwards(let run, let metric, let step, let lastStep):
            return ResponseError(
                .stepWentBackwards, message,
                data: [
                    "field": "step", "run": .string(run), "metric": .string(metric), "step": .int(step),
                    "last_step": .int(lastStep),
                ])
        case .invalidArgument(let field, let reason):
            return ResponseError.invalidParams(field: field, reason)
        case .storage:
            return ResponseError(.storageFailure, message)
        case .cancelled:
            return ResponseError(.requestCancelled, "request cancelled by the client")
        case .internalFailure:
            return ResponseError(.internalError, message)
        case .unreadableSource(let source):
            return ResponseError(.unreadableSource, message, data: source.json)
        case .imageLibraryUnavailable(let detail):
            return ResponseError(
                .imageLibraryUnavailable, message,
                data: ["library": .string(ImageMeasurer.libraryName), "reason": .string(detail)])
        }
    }
}
