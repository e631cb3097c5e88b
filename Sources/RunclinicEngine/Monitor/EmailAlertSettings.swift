/// `alerts.email`: where a run's alerts are mailed, and through which SMTP server. Credentials are
/// named by environment variables, read by the server when it sends: they never enter a run's
/// config, the store or a reply.
public struct EmailAlertSettings: Sendable, Equatable {
    public var to: [String]
    public var from: String
    public var host: String
    public var port: Int
    /// Upgrade the connection with STARTTLS, and refuse to send when the server cannot.
    public var startTLS = true
    public var usernameVariable: String?
    public var passwordVariable: String?
    /// A CA bundle that signs the SMTP server's certificate (a company's own CA).
    public var caFile: String?
    /// The dashboard the mail links to: `runclinic ui`'s default address unless said.
    public var dashboardURL = "http://127.0.0.1:8765/"

    public init(to: [String], from: String, host: String, port: Int) {
        self.to = to
        self.from = from
        self.host = host
        self.port = port
    }

    static let keys: Set<String> = [
        "to", "from", "smtp", "starttls", "username_env", "password_env", "ca_file", "dashboard_url",
    ]
}
