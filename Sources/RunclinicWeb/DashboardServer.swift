import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import RunclinicRPC

/// `runclinic ui`'s web server: the page and its files over HTTP, and the JSON-RPC API over a
/// WebSocket at /rpc, one message per frame. Every request must carry the access token.
public struct DashboardServer: Sendable {
    public let host: String
    public let port: Int
    public let token: AccessToken
    private let upstream: DashboardUpstream
    private let maximumMessageBytes: Int
    private let logger: Logger
    /// Whether the page may show this image file (the store knows it).
    private let mayShowImage: @Sendable (String) -> Bool

    public init(
        upstream: DashboardUpstream, maximumMessageBytes: Int, host: String, port: Int, token: AccessToken,
        logger: Logger, mayShowImage: @escaping @Sendable (String) -> Bool = { _ in false }
    ) {
        self.upstream = upstream
        self.maximumMessageBytes = maximumMessageBytes
        self.mayShowImage = mayShowImage
        self.host = host
        self.port = port
        self.token = token
        self.logger = logger
    }

    /// Serves until the task is cancelled; `onListening` gets the port bound (port 0 picks one).
    public func run(onListening: @escaping @Sendable (Int) async -> Void) async throws {
        let access = Access()
        let connectionIDs = ConnectionCounter()
        let upstream = self.upstream
        let logger = self.logger
        let token = self.token
        let host = self.host
        let router = Router(context: DashboardRequestContext.self)
        router.middlewares.add(TokenMiddleware(access: access))
        router.get("/") { _, context -> Response in
            Self.response(DashboardAssets.page, setCookie: context.setsCookie ? access.current?.cookie : nil)
        }
        router.get("/assets/:name") { _, context -> Response in
            guard let name = context.parameters.get("name"), let asset = DashboardAssets.files[name] else {
                return Response(status: .notFound)
            }
            return Self.response(asset, setCookie: nil)
        }
        let mayShowImage = self.mayShowImage
        // An image the store knows (an audited file, a batch's sample), for galleries.
        router.get("/image") { request, _ -> Response in
            guard let path = request.uri.queryParameters.get("path"), !path.isEmpty else {
                return Self.text(.badRequest, "give the image's path: /image?path=…")
            }
            guard mayShowImage(path) else { return Self.text(.notFound, ImageFile.Failure.unknown(path).description) }
            do {
                let image = try ImageFile.read(path)
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: image.contentType, .cacheControl: "private, max-age=60",
                        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                    ],
                    body: .init(byteBuffer: ByteBuffer(bytes: image.bytes)))
            } catch {
                // A file the store names but that cannot be read now (moved, deleted, too large):
                // the reason is drawn where the image would be, rather than a broken image.
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: "image/svg+xml", .cacheControl: "no-store",
                        HTTPField.Name("X-Runclinic-Image")!: "unavailable",
                    ],
                    body: .init(byteBuffer: ByteBuffer(string: ImageFile.placeholder(saying: "\(error)"))))
            }
        }
        // Reached when an upgrade to /rpc was refused, or when it was not a WebSocket request.
        router.get("/rpc") { request, _ -> Response in
            if let refusal = access.current?.checkWebSocket(path: request.uri.description, headers: request.headers) {
                return Self.text(.forbidden, refusal.description)
            }
            return Self.text(.badRequest, "/rpc speaks JSON-RPC over a WebSocket only")
        }
        let maximumBytes = maximumMessageBytes
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: maximumBytes))) {
                request, _, _ in
                guard let path = request.path, path == "/rpc" || path.hasPrefix("/rpc?") else { return .dontUpgrade }
                guard let access = access.current else { return .dontUpgrade }
                if let refusal = access.checkWebSocket(path: request.path, headers: request.headerFields) {
                    logger.warning("dashboard: \(refusal)")
                    return .dontUpgrade
                }
                return .upgrade([:]) { inbound, outbound, _ in
                    let bridge = try WebSocketBridge(
                        id: connectionIDs.next(), upstream: upstream, maximumMessageBytes: maximumBytes, logger: logger)
                    let outgoing = bridge.start()
                    // However the page's side ends (closed, gone, an oversized frame), the upstream
                    // is told, so its connection ends too.
                    defer { bridge.finishInput() }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await message in outgoing { try await outbound.write(.text(message)) }
                        }
                        for try await message in inbound.messages(maxSize: maximumBytes) {
                            let text: String
                            switch message {
                            case .text(let string): text = string
                            case .binary(let buffer): text = String(buffer: buffer)
                            }
                            if !bridge.deliver(text) { break }
                        }
                        bridge.finishInput()
                        try await group.waitForAll()
                    }
                }
            },
            configuration: .init(address: .hostname(host, port: port), serverName: "runclinic"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                access.set(DashboardAccess(token: token, host: host, port: bound))
                await onListening(bound)
            },
            logger: logger
        )
        try await app.run()
    }

    static func response(_ asset: DashboardAssets.Asset, setCookie: String?) -> Response {
        var headers: HTTPFields = [
            .contentType: asset.contentType,
            .cacheControl: "no-store",
            // The page may talk to its own server only: no script, style or connection elsewhere.
            .contentSecurityPolicy:
                "default-src 'self'; connect-src 'self' ws: ; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ]
        if let setCookie { headers[.setCookie] = setCookie }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}

/// The access rules, known once the port is bound (the allowed Origin names it).
final class Access: @unchecked Sendable {
    private let lock = NSLock()
    private var value: DashboardAccess?

    var current: DashboardAccess? { lock.withLock { value } }

    func set(_ access: DashboardAccess) {
        lock.withLock { value = access }
    }
}
