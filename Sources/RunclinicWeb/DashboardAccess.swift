import HTTPTypes

/// Who may use the dashboard: requests that carry its token (in the URL's `token` query, the
/// cookie the page was given, or an `Authorization: token …` header), and WebSockets opened by
/// its own page (a browser sends the page's Origin; another site's page must not reach the runs).
struct DashboardAccess: Sendable {
    let token: AccessToken
    /// The origins of the dashboard's own page: the address it was started on, and loopback by
    /// name and number when it listens on loopback.
    let allowedOrigins: Set<String>

    static let cookieName = "runclinic_token"

    init(token: AccessToken, host: String, port: Int) {
        self.token = token
        var origins: Set<String> = ["http://\(host):\(port)"]
        if ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) {
            origins.formUnion(["http://127.0.0.1:\(port)", "http://localhost:\(port)", "http://[::1]:\(port)"])
        }
        allowedOrigins = origins
    }

    enum Refusal: Error, CustomStringConvertible {
        case missingToken
        case foreignOrigin(String)

        var description: String {
            switch self {
            case .missingToken:
                "missing or wrong token: open the URL `runclinic ui` printed (it ends in ?token=…)"
            case .foreignOrigin(let origin):
                "WebSocket refused: Origin \(origin) is not this dashboard's page"
            }
        }
    }

    /// Whether the request carries the token; `fromQuery` says the token came in the URL (the
    /// page is then given the cookie, so its later requests need not repeat it).
    func check(path: String?, headers: HTTPFields) -> Result<Bool, Refusal> {
        if let value = Self.queryValue("token", in: path), token.matches(value) { return .success(true) }
        for cookieHeader in headers[values: .cookie] {
            for pair in cookieHeader.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingSpaces == Self.cookieName, token.matches(parts[1].trimmingSpaces)
                {
                    return .success(false)
                }
            }
        }
        if let authorization = headers[.authorization] {
            for scheme in ["token ", "Bearer "] where authorization.hasPrefix(scheme) {
                if token.matches(authorization.dropFirst(scheme.count)) { return .success(false) }
            }
        }
        return .failure(.missingToken)
    }

    /// A WebSocket upgrade: the token, and no Origin but the dashboard's own. A client that is
    /// not a browser (a script, the tests) sends no Origin and is judged by its token alone.
    func checkWebSocket(path: String?, headers: HTTPFields) -> Refusal? {
        if case .failure(let refusal) = check(path: path, headers: headers) { return refusal }
        if let origin = headers[.origin], !allowedOrigins.contains(origin) { return .foreignOrigin(origin) }
        return nil
    }

    /// The cookie that lets the page's later requests in. Lax, not Strict: a link to a run's page
    /// in an alert email must open it; another site's scripts still cannot send it (and the
    /// WebSocket checks the Origin besides).
    var cookie: String {
        "\(Self.cookieName)=\(token.value); Path=/; HttpOnly; SameSite=Lax"
    }

    static func queryValue(_ name: String, in path: String?) -> Substring? {
        guard let path, let question = path.firstIndex(of: "?") else { return nil }
        for pair in path[path.index(after: question)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == name { return parts[1] }
        }
        return nil
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
