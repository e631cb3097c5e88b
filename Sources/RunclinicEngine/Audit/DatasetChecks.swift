import Foundation

/// The checks that need the whole dataset: byte-identical duplicates, near-duplicates (perceptual
/// hash within a Hamming radius, found through hash bands rather than comparing every pair), and
/// sizes far outside the dataset's distribution.
public enum DatasetChecks {
    public struct Image: Sendable {
        public let path: String
        public let size: Int
        public let contentHash: UInt64
        public let differenceHash: UInt64?
        public let pixels: Int?
        public let width: Int?
        public let height: Int?
        /// 24x24 grey thumbnail that confirms a candidate pair found through the hashes, stretched
        /// to 0-255 from `thumbnailRange` grey levels.
        public let thumbnail: [UInt8]?
        public var thumbnailRange: Double = 255
    }

    /// Thumbnail difference under which two images are near-duplicates (see `thumbnailDistance`).
    /// On the audit bench: copies re-encoded at quality 70 or resized to 80% were 0.034 apart at
    /// most; distinct receipts of one layout, and near-blank pages with a few lines at the top
    /// (which hash alike), 0.044 and more.
    static let thumbnailRadius = 0.04

    /// Hash bits a candidate pair may differ in before its thumbnails are compared. Within 7 bits
    /// two hashes are sure to share one of the eight bands; pairs further apart (up to 12) are
    /// found when they share one, which re-encoded documents mostly do.
    public static func findings(_ images: [Image], nearRadius: Int = 12) -> [AuditFinding] {
        duplicates(images) + nearDuplicates(images, radius: nearRadius) + oddSizes(images)
    }

    static func duplicates(_ images: [Image]) -> [AuditFinding] {
        var first: [String: String] = [:]
        var found: [AuditFinding] = []
        for image in images.sorted(by: { $0.path < $1.path }) {
            let key = "\(image.contentHash)-\(image.size)"
            if let original = first[key] {
                var finding = AuditFinding(path: image.path, issue: .duplicate, severity: .warning, score: 0, threshold: 0,
                                           detail: "the same bytes as \(original)")
                finding.group = original
                found.append(finding)
            } else {
                first[key] = image.path
            }
        }
        return found
    }

    /// Eight 8-bit bands of two 64-bit hashes (the difference hash, and an average hash of the
    /// thumbnail): only images sharing a band of either are compared (no scan of every pair), and
    /// their thumbnails then confirm the pair. Two hashes of one picture can drift apart on a flat
    /// page (its cells differ by noise); the second hash gives such a pair a second chance.
    static func nearDuplicates(_ images: [Image], radius: Int) -> [AuditFinding] {
        // Byte-identical copies are reported as duplicates; only the first of each takes part here.
        var seen: Set<String> = []
        let hashed = images.sorted { $0.path < $1.path }.filter { image in
            image.differenceHash != nil && seen.insert("\(image.contentHash)-\(image.size)").inserted
        }
        let averageHashes = hashed.map { averageHash($0.thumbnail) }
        var buckets: [Int: [Int]] = [:]
        for (index, image) in hashed.enumerated() {
            for band in 0..<8 {
                buckets[band << 8 | Int((image.differenceHash! >> (band * 8)) & 0xFF), default: []].append(index)
                if let average = averageHashes[index] {
                    buckets[1 << 12 | band << 8 | Int((average >> (band * 8)) & 0xFF), default: []].append(index)
                }
            }
        }
        var parent = Array(hashed.indices)
        func root(_ index: Int) -> Int {
            var node = index
            while parent[node] != node { parent[node] = parent[parent[node]]; node = parent[node] }
            return node
        }
        var distance: [Int: Double] = [:]
        var normalised: [Int: [Float]] = [:]
        var compared: Set<UInt64> = []
        func thumbnail(_ index: Int) -> [Float]? {
            if let known = normalised[index] { return known }
            let made = normalisedThumbnail(hashed[index])
            normalised[index] = made
            return made
        }
        for members in buckets.values where members.count > 1 && members.count <= 2_000 {
            for (position, a) in members.enumerated() {
                for b in members[(position + 1)...] {
                    let bits = (hashed[a].differenceHash! ^ hashed[b].differenceHash!).nonzeroBitCount
                    let averageBits = averageHashes[a].flatMap { first in averageHashes[b].map { (first ^ $0).nonzeroBitCount } } ?? 64
                    // Both hashes close (a pair of look-alike pages is close in one only), each pair once.
                    guard bits <= radius, averageBits <= radius, compared.insert(UInt64(a) << 32 | UInt64(b)).inserted else { continue }
                    let apart = thumbnailDistance(thumbnail(a), thumbnail(b))
                    guard apart <= Self.thumbnailRadius else { continue }
                    let (ra, rb) = (root(a), root(b))
                    if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
                    distance[b] = min(distance[b] ?? apart, apart)
                }
            }
        }
        var found: [AuditFinding] = []
        for index in hashed.indices {
            let group = root(index)
            guard group != index else { continue }
            let apart = distance[index] ?? Self.thumbnailRadius
            var finding = AuditFinding(path: hashed[index].path, issue: .nearDuplicate, severity: .info,
                                       score: apart, threshold: Self.thumbnailRadius,
                                       detail: "looks like \(hashed[group].path) (thumbnails \(apart.shortDescription) apart)")
            finding.group = hashed[group].path
            found.append(finding)
        }
        return found
    }

    /// 64-bit average hash: is each 3x3 block of the 24x24 thumbnail brighter than the mean?
    static func averageHash(_ thumbnail: [UInt8]?) -> UInt64? {
        guard let thumbnail, thumbnail.count == 576 else { return nil }
        var blocks = [Int](repeating: 0, count: 64)
        for row in 0..<24 {
            for column in 0..<24 { blocks[(row / 3) * 8 + column / 3] += Int(thumbnail[row * 24 + column]) }
        }
        let mean = blocks.reduce(0, +) / 64
        return blocks.enumerated().reduce(UInt64(0)) { hash, block in block.element > mean ? hash | (1 << UInt64(block.offset)) : hash }
    }

    /// A thumbnail normalised to zero mean and unit deviation, in the image's own grey levels. One
    /// grey level is added to the deviation, so on a near-blank page (a deviation of a few levels)
    /// sensor noise does not count as content.
    static func normalisedThumbnail(_ image: Image) -> [Float]? {
        guard let values = image.thumbnail, !values.isEmpty else { return nil }
        let count = Double(values.count)
        let levels = image.thumbnailRange / 255  // back to the image's grey levels
        let mean = values.reduce(0.0) { $0 + Double($1) } / count
        let deviation = (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / count).squareRoot()
        return values.map { Float((Double($0) - mean) * levels / (deviation * levels + 1)) }
    }

    /// Mean absolute difference of two normalised thumbnails: 0 for the same picture at another
    /// brightness or contrast.
    static func thumbnailDistance(_ first: [Float]?, _ second: [Float]?) -> Double {
        guard let first, let second, first.count == second.count, !first.isEmpty else { return .infinity }
        var sum: Float = 0
        for index in first.indices { sum += abs(first[index] - second[index]) }
        return Double(sum) / Double(first.count)
    }

    static func thumbnailDistance(_ a: Image, _ b: Image) -> Double {
        thumbnailDistance(normalisedThumbnail(a), normalisedThumbnail(b))
    }

    /// At least 20 times more or fewer pixels than the dataset's median, and a robust z-score of
    /// log(pixels) above 4, in a dataset of at least 20 images. The ratio keeps a dataset of very
    /// similar sizes (a small spread) from calling a half-size image odd.
    static func oddSizes(_ images: [Image]) -> [AuditFinding] {
        let sized = images.compactMap { image in image.pixels.map { (image, log(Double(max(1, $0)))) } }
        guard sized.count >= 20 else { return [] }
        let logs = sized.map(\.1)
        let median = TrailingWindow.median(logs)
        let mad = TrailingWindow.median(logs.map { abs($0 - median) })
        let scale = max(1.4826 * mad, 0.1)
        return sized.compactMap { image, value in
            let z = abs(value - median) / scale
            guard z > 4, abs(value - median) >= log(20.0) else { return nil }
            return AuditFinding(path: image.path, issue: .oddSize, severity: .warning, score: z, threshold: 4,
                                detail: "\(image.width ?? 0)x\(image.height ?? 0) pixels, far from the dataset's typical \(Int(exp(median))) pixels")
        }
    }
}
