import Hummingbird

/// Refuses every HTTP request without the dashboard's token (403, saying where to find it).
struct TokenMiddleware: RouterMiddleware {
    typealias Context = DashboardRequestContext
    let access: Access

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let access = access.current else {
            return DashboardServer.text(.serviceUnavailable, "the dashboard is starting")
        }
        switch access.check(path: request.uri.description, headers: request.headers) {
        case .failure(let refusal):
            return DashboardServer.text(.forbidden, refusal.description)
        case .success(let fromQuery):
            var context = context
            context.setsCookie = fromQuery
            return try await next(request, context)
        }
    }
}

/// A request's context, with whether the token came in its URL (the page is then given the cookie).
struct DashboardRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var setsCookie = false

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
