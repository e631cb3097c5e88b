import RunclinicJSON

/// What a peer says at `initialize` that it reads beyond JSON-RPC 2.0; a peer that says nothing
/// gets the standard only: strict JSON, and no message it did not ask for.
public struct PeerCapabilities: Sendable, Equatable {
    /// Reads the tokens NaN, Infinity and -Infinity (Python's json does); others get the strings
    /// "NaN", "Infinity" and "-Infinity" where a number is not finite.
    public var readsNonFiniteNumbers = false
    /// Wants a `$/notificationError` notification when a notification it sent failed (JSON-RPC
    /// sends nothing back for a notification).
    public var wantsNotificationErrors = false

    public init() {}

    /// From `initialize`'s `capabilities` param: `{"nonFiniteNumbers": true, "notificationErrors": true}`.
    /// What a later `initialize` does not mention stays as it was.
    public mutating func update(fromInitializeParams params: JSONValue?) {
        guard let capabilities = params?["capabilities"] else { return }
        if let flag = capabilities["nonFiniteNumbers"]?.boolValue { readsNonFiniteNumbers = flag }
        if let flag = capabilities["notificationErrors"]?.boolValue { wantsNotificationErrors = flag }
    }
}
