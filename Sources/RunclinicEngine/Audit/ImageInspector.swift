import Foundation

/// Turns a path into an inspection. Where the decoding runs is the inspector's business: in this
/// process, or in worker processes a crashing decoder cannot take the server down with.
public protocol ImageInspector: Sendable {
    /// Inspects one image; safe to call from several threads at once.
    func inspect(path: String, maximumPixels: Int) -> ImageInspection
    /// Inspects one image, giving up (and saying so) once `isCancelled` turns true.
    func inspect(path: String, maximumPixels: Int, isCancelled: @escaping @Sendable () -> Bool) -> ImageInspection
    /// How many threads should call `inspect` at once.
    var concurrency: Int { get }
    /// A colour JPEG of the image for people to look at (see ImageThumbnail.jpeg); safe to call
    /// from several threads at once.
    func thumbnail(path: String, side: Int, maximumPixels: Int) -> [UInt8]?
}

extension ImageInspector {
    /// An inspector that cannot be interrupted finishes the image it is on.
    public func inspect(path: String, maximumPixels: Int, isCancelled: @escaping @Sendable () -> Bool)
        -> ImageInspection
    {
        inspect(path: path, maximumPixels: maximumPixels)
    }
}

/// Decodes in this process: for tests of the checks and for callers that are not a server.
public struct InProcessImageInspector: ImageInspector {
    public init() {}

    public func inspect(path: String, maximumPixels: Int) -> ImageInspection {
        ImageInspection.inspect(path: path, maximumPixels: maximumPixels)
    }

    public var concurrency: Int { ProcessInfo.processInfo.activeProcessorCount }

    public func thumbnail(path: String, side: Int, maximumPixels: Int) -> [UInt8]? {
        ImageThumbnail.jpeg(path: path, side: side, maximumPixels: maximumPixels)
    }
}
