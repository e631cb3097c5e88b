/// The dashboard's files, compiled into the binary: the page fetches nothing from outside.
enum DashboardAssets {
    struct Asset: Sendable {
        let bytes: [UInt8]
        let contentType: String
    }

    static let page = Asset(bytes: PackageResources.dashboard_html, contentType: "text/html; charset=utf-8")

    /// Served under /assets/NAME.
    static let files: [String: Asset] = [
        "dashboard.js": Asset(bytes: PackageResources.dashboard_js, contentType: "text/javascript; charset=utf-8"),
        "dashboard.css": Asset(bytes: PackageResources.dashboard_css, contentType: "text/css; charset=utf-8"),
        "chart.min.js": Asset(bytes: PackageResources.chart_min_js, contentType: "text/javascript; charset=utf-8"),
    ]
}
