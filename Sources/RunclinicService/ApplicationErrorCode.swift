import RunclinicRPC

/// runclinic's own JSON-RPC error codes (the -32000...-32099 range the specification reserves
/// for implementations). Each is listed in schema/openrpc.json.
extension ErrorCode {
    public static let unknownRun = ErrorCode(rawValue: -32001)
    public static let runNotRunning = ErrorCode(rawValue: -32002)
    public static let stepWentBackwards = ErrorCode(rawValue: -32003)
    public static let ambiguousRun = ErrorCode(rawValue: -32004)
    public static let storageFailure = ErrorCode(rawValue: -32005)
    public static let unreadableSource = ErrorCode(rawValue: -32006)
    public static let imageLibraryUnavailable = ErrorCode(rawValue: -32007)
}
