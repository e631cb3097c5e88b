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
        /// 16x16 grey thumbnail that confirms a candidate pair found through the hash.
        public let thumbnail: [UInt8]?
    }

    /// Thumbnail difference under which two images are near-duplicates (see `thumbnailDistance`).
    /// On the audit bench: copies re-encoded at quality 70 or resized to 80% were 0.07 apart at most;
    /// distinct receipts of one layout (which hash alike) 0.118 and more.
    static let thumbnailRadius = 0.1

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

    /// Eight 8-bit bands of the 64-bit hash: only images sharing a band are compared (no scan of
    /// every pair); their thumbnails then confirm the pair.
    static func nearDuplicates(_ images: [Image], radius: Int) -> [AuditFinding] {
        // Byte-identical copies are reported as duplicates; only the first of each takes part here.
        var seen: Set<String> = []
        let hashed = images.sorted { $0.path < $1.path }.filter { image in
            image.differenceHash != nil && seen.insert("\(image.contentHash)-\(image.size)").inserted
        }
        var buckets: [Int: [Int]] = [:]
        for (index, image) in hashed.enumerated() {
            for band in 0..<8 {
                buckets[band << 8 | Int((image.differenceHash! >> (band * 8)) & 0xFF), default: []].append(index)
            }
        }
        var parent = Array(hashed.indices)
        func root(_ index: Int) -> Int {
            var node = index
            while parent[node] != node { parent[node] = parent[parent[node]]; node = parent[node] }
            return node
        }
        var distance: [Int: Double] = [:]
        for members in buckets.values where members.count > 1 && members.count <= 2_000 {
            for (position, a) in members.enumerated() {
                for b in members[(position + 1)...] {
                    let bits = (hashed[a].differenceHash! ^ hashed[b].differenceHash!).nonzeroBitCount
                    guard bits <= radius else { continue }
                    let apart = thumbnailDistance(hashed[a], hashed[b])
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

    /// Mean absolute difference of the two thumbnails, each first normalised to zero mean and unit
    /// deviation: 0 for the same picture at another brightness or contrast.
    static func thumbnailDistance(_ a: Image, _ b: Image) -> Double {
        guard let first = a.thumbnail, let second = b.thumbnail, first.count == second.count, !first.isEmpty else { return .infinity }
        func normalised(_ values: [UInt8]) -> [Double] {
            let count = Double(values.count)
            let mean = values.reduce(0.0) { $0 + Double($1) } / count
            let deviation = (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / count).squareRoot()
            return values.map { (Double($0) - mean) / (deviation + 1) }
        }
        return zip(normalised(first), normalised(second)).reduce(0.0) { $0 + abs($1.0 - $1.1) } / Double(first.count)
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
