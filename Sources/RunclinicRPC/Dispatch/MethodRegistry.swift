import RunclinicJSON

/// Every method the server answers, by name. The schema test walks `names`.
public struct MethodRegistry: Sendable {
    private var handlers: [String: MethodHandler] = [:]

    public init() {}

    public mutating func register(_ handler: MethodHandler) {
        precondition(handlers[handler.name] == nil, "method \(handler.name) registered twice")
        handlers[handler.name] = handler
    }

    public func handler(for method: String) -> MethodHandler? {
        handlers[method]
    }

    public var names: [String] { handlers.keys.sorted() }
}
