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
        /// Mean brightness: near-duplicates look alike in it too (a 9x8 difference hash of a
        /// low-contrast image is close to that of any smooth gradient).
        public let meanBrightness: Double?
        /// 256-bit hash that confirms a candidate pair found through the 64-bit one.
        public let fineHash: [UInt64]?
    }

    /// Fine-hash bits two near-duplicates may differ in (of 1,024): distinct receipts of one
    /// layout were 6 or more apart; a brightened copy, or the same pixels behind an EXIF tag, 0-5.
    static let fineRadius = 5

    public static func findings(_ images: [Image], nearRadius: Int = 5) -> [AuditFinding] {
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

    /// Eight 8-bit bands of the 64-bit hash: two hashes within 7 bits share at least one band,
    /// so only images sharing a band are compared.
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
        var distance: [Int: Int] = [:]
        for members in buckets.values where members.count > 1 && members.count <= 2_000 {
            for (position, a) in members.enumerated() {
                for b in members[(position + 1)...] {
                    let bits = (hashed[a].differenceHash! ^ hashed[b].differenceHash!).nonzeroBitCount
                    let brightness = abs((hashed[a].meanBrightness ?? 0) - (hashed[b].meanBrightness ?? 0))
                    guard bits <= radius, brightness <= 20, fineDistance(hashed[a], hashed[b]) <= Self.fineRadius else { continue }
                    let (ra, rb) = (root(a), root(b))
                    if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
                    distance[b] = min(distance[b] ?? bits, bits)
                }
            }
        }
        var found: [AuditFinding] = []
        for index in hashed.indices {
            let group = root(index)
            guard group != index else { continue }
            var finding = AuditFinding(path: hashed[index].path, issue: .nearDuplicate, severity: .info,
                                       score: Double(distance[index] ?? radius), threshold: Double(radius),
                                       detail: "looks like \(hashed[group].path) (perceptual hashes \(distance[index] ?? radius) bits apart)")
            finding.group = hashed[group].path
            found.append(finding)
        }
        return found
    }

    static func fineDistance(_ a: Image, _ b: Image) -> Int {
        guard let first = a.fineHash, let second = b.fineHash, first.count == second.count else { return 0 }
        return zip(first, second).reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount }
    }

    /// A robust z-score of log(pixels) above 4 in a dataset of at least 20 images.
    static func oddSizes(_ images: [Image]) -> [AuditFinding] {
        let sized = images.compactMap { image in image.pixels.map { (image, log(Double(max(1, $0)))) } }
        guard sized.count >= 20 else { return [] }
        let logs = sized.map(\.1)
        let median = TrailingWindow.median(logs)
        let mad = TrailingWindow.median(logs.map { abs($0 - median) })
        let scale = max(1.4826 * mad, 0.1)
        return sized.compactMap { image, value in
            let z = abs(value - median) / scale
            guard z > 4 else { return nil }
            return AuditFinding(path: image.path, issue: .oddSize, severity: .warning, score: z, threshold: 4,
                                detail: "\(image.width ?? 0)x\(image.height ?? 0) pixels, far from the dataset's typical \(Int(exp(median))) pixels")
        }
    }
}
