/// What can go wrong in the engine, in terms a user understands. The protocol layer maps each
/// case onto a JSON-RPC error code.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `suggestion`: the run name nearest to a mistyped one.
    case unknownRun(String, suggestion: String? = nil)
    case ambiguousRun(name: String, projects: [String])
    case runNotRunning(run: String, status: RunStatus)
    case stepWentBackwards(run: String, metric: String, step: Int64, lastStep: Int64)
    case invalidArgument(field: String, reason: String)
    case storage(String)
    /// The caller gave up (a cancelled request).
    case cancelled
    /// A fault of runclinic itself (a template compiled into it that does not parse).
    case internalFailure(String)
    /// A file that cannot be read as the format it claims (import): which file, where, why.
    case unreadableSource(ImportSourceError)
    /// The image library (OpenCV, through libRunclinicImageInspection.so) cannot be loaded: no
    /// image can be judged, which is no finding about the images.
    case imageLibraryUnavailable(String)

    public var description: String {
        switch self {
        case .unknownRun(let run, let suggestion):
            return "unknown run '\(run)'" + (suggestion.map { " (did you mean \($0)?)" } ?? "")
        case .ambiguousRun(let name, let projects):
            return
                "run name '\(name)' exists in several projects (\(projects.joined(separator: ", "))): give the run id or the project"
        case .runNotRunning(let run, let status):
            return "run '\(run)' is \(status.rawValue): start it again with run.start to resume it"
        case .stepWentBackwards(let run, let metric, let step, let lastStep):
            return
                "step \(step) of '\(metric)' in run '\(run)' is before its last logged step \(lastStep): steps of a metric may not go backwards"
        case .invalidArgument(let field, let reason):
            return "\(field): \(reason)"
        case .storage(let message):
            return "storage error: \(message)"
        case .cancelled:
            return "cancelled"
        case .internalFailure(let message):
            return "internal error: \(message)"
        case .unreadableSource(let error):
            return error.description
        case .imageLibraryUnavailable(let detail):
            return
                "the image library cannot be loaded, so no image can be checked (install OpenCV and the decoders it is linked with: apt-get install libopencv-imgcodecs-dev libopencv-imgproc-dev libdeflate0 libgif7 libheif1, and keep \(ImageMeasurer.libraryName) beside the runclinic binary or set RUNCLINIC_IMAGE_LIBRARY): \(detail)"
        }
    }
}

extension EngineError {
    init(_ error: DatabaseError) {
        self = .storage(error.description)
    }
}
