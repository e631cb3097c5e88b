import Mustache

/// The reports' Mustache templates compiled into the binary (analysis, comparison, audit gallery),
/// parsed once into one library.
enum ReportTemplates {
    static let library: Result<MustacheLibrary, Error> = Result {
        var library = MustacheLibrary()
        let templates: [(String, [UInt8])] = [
            ("report.md", PackageResources.report_md_mustache), ("report.html", PackageResources.report_html_mustache),
            ("comparison.md", PackageResources.comparison_md_mustache),
            ("comparison.html", PackageResources.comparison_html_mustache),
            ("gallery.html", PackageResources.gallery_html_mustache),
        ]
        for (name, bytes) in templates { try library.register(String(decoding: bytes, as: UTF8.self), named: name) }
        return library
    }

    /// A template rendered with `context`; a template that does not parse is a fault of runclinic.
    static func render(_ template: String, _ context: [String: Any]) throws -> String {
        let library: MustacheLibrary
        do {
            library = try self.library.get()
        } catch {
            throw EngineError.internalFailure("the report templates do not parse: \(error)")
        }
        guard let text = library.render(context, withTemplate: template) else {
            throw EngineError.internalFailure("no \(template) template")
        }
        return text
    }
}
