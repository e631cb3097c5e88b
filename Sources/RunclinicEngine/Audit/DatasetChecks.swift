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
        /// 48x48 grey thumbnail that confirms a candidate pair found through the hashes, stretched
        /// to 0-255 from `thumbnailRange` grey levels.
        public let thumbnail: [UInt8]?
        public var thumbnailRange: Double = 255
        /// The thumbnail's average hash (see `averageHash`), when the thumbnail is not held here.
        public var averageHash: UInt64? = nil
        /// Character marks of a document (see TextLines): copies of one page have nearly the same
        /// number, distinct pages of one layout rarely do.
        public var textMarks: Int? = nil
    }

    /// Thumbnails by path, for images that do not carry theirs: an audit keeps only hashes in
    /// memory and reads a candidate pair's thumbnails back from the store.
    public typealias ThumbnailSource = ([String]) -> [String: (bytes: [UInt8], range: Double)]

    /// Thumbnail difference under which two images are near-duplicates (see `thumbnailDistance`).
    /// Measured on the audit bench (48x48): copies re-encoded at quality 70 or resized to 80% were
    /// 0.07 apart at most; distinct receipts of one layout, and near-blank pages with a few lines
    /// at the top (which hash alike), 0.146 and more. (At 24x24 the two overlapped.)
    static let thumbnailRadius = 0.1
    /// Two documents are only near-duplicates when their character counts agree within 10%: on the
    /// bench, copies agreed within 7% (a copy may be measured at 768 px and its original at 1,024);
    /// near-blank pages whose thumbnails matched differed by 2-16%.
    static let textMarksAgreement = 0.9

    /// Hash bits a candidate pair may differ in (on average over its two hashes) before its
    /// thumbnails are compared. Within 7 bits two hashes are sure to share one of the eight bands;
    /// pairs further apart are found when they share one, which re-encoded documents mostly do.
    public static func findings(_ images: [Image], nearRadius: Int = 12, thumbnails: ThumbnailSource = { _ in [:] }) -> [AuditFinding] {
        duplicates(images) + nearDuplicates(images, radius: nearRadius, thumbnails: thumbnails) + oddSizes(images)
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
    static func nearDuplicates(_ images: [Image], radius: Int, thumbnails source: ThumbnailSource = { _ in [:] }) -> [AuditFinding] {
        // Byte-identical copies are reported as duplicates; only the first of each takes part here.
        var seen: Set<String> = []
        let hashed = images.sorted { $0.path < $1.path }.filter { image in
            image.differenceHash != nil && seen.insert("\(image.contentHash)-\(image.size)").inserted
        }
        let averageHashes = hashed.map { $0.averageHash ?? averageHash($0.thumbnail) }
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
        var normalised: [Int: [Int8]] = [:]
        for members in buckets.values where members.count > 1 && members.count <= 2_000 {
            // The pairs whose hashes are close, then their thumbnails (read for this bucket only,
            // so memory holds one bucket's thumbnails, not the dataset's).
            var pairs: [(Int, Int)] = []
            for (position, a) in members.enumerated() {
                for b in members[(position + 1)...] {
                    let bits = (hashed[a].differenceHash! ^ hashed[b].differenceHash!).nonzeroBitCount
                    var averageBits = 64
                    if let first = averageHashes[a], let second = averageHashes[b] { averageBits = (first ^ second).nonzeroBitCount }
                    // The two hashes together within twice the radius (of 128 bits): a flat page's
                    // difference hash drifts with noise, its average hash does not.
                    guard bits + averageBits <= 2 * radius else { continue }
                    // Already joined through another band: nothing to learn.
                    guard root(a) != root(b) || distance[b] == nil else { continue }
                    pairs.append((a, b))
                }
            }
            guard !pairs.isEmpty else { continue }
            var needed: Set<Int> = []
            for (a, b) in pairs {
                needed.insert(a)
                needed.insert(b)
            }
            // Normalised thumbnails are kept across buckets (an image sits in up to 16), up to a
            // bound: memory stays flat however large the dataset.
            if normalised.count + needed.count > Self.cachedThumbnails { normalised.removeAll(keepingCapacity: true) }
            var missing: [String] = []
            for index in needed where normalised[index] == nil && hashed[index].thumbnail == nil { missing.append(hashed[index].path) }
            let fetched = missing.isEmpty ? [:] : source(missing)
            for index in needed where normalised[index] == nil {
                let image = hashed[index]
                if let bytes = image.thumbnail {
                    normalised[index] = normalisedThumbnail(bytes, range: image.thumbnailRange)
                } else if let stored = fetched[image.path] {
                    normalised[index] = normalisedThumbnail(stored.bytes, range: stored.range)
                }
            }
            for (a, b) in pairs {
                if let first = hashed[a].textMarks, let second = hashed[b].textMarks,
                   Double(min(first, second)) < Self.textMarksAgreement * Double(max(first, second)) { continue }
                let apart = thumbnailDistance(normalised[a], normalised[b], limit: Self.thumbnailRadius)
                guard apart <= Self.thumbnailRadius else { continue }
                let (ra, rb) = (root(a), root(b))
                if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
                distance[b] = min(distance[b] ?? apart, apart)
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

    /// 64-bit average hash: is each 6x6 block of the 48x48 thumbnail brighter than the mean?
    static func averageHash(_ thumbnail: [UInt8]?) -> UInt64? {
        guard let thumbnail, thumbnail.count == 48 * 48 else { return nil }
        var blocks = [Int](repeating: 0, count: 64)
        for row in 0..<48 {
            for column in 0..<48 { blocks[(row / 6) * 8 + column / 6] += Int(thumbnail[row * 48 + column]) }
        }
        let mean = blocks.reduce(0, +) / 64
        return blocks.enumerated().reduce(UInt64(0)) { hash, block in block.element > mean ? hash | (1 << UInt64(block.offset)) : hash }
    }

    /// Normalised thumbnails held at once during near-duplicate grouping (2.3 KB each).
    static let cachedThumbnails = 8_192
    /// Steps per unit of deviation in a normalised thumbnail (values within +-4 deviations fit).
    static let quantum: Float = 32

    /// A thumbnail normalised to zero mean and unit deviation, in the image's own grey levels, in
    /// steps of 1/32. One grey level is added to the deviation, so on a near-blank page (a
    /// deviation of a few levels) sensor noise does not count as content.
    static func normalisedThumbnail(_ values: [UInt8], range: Double) -> [Int8]? {
        guard !values.isEmpty else { return nil }
        let count = Double(values.count)
        let levels = range / 255  // back to the image's grey levels
        let mean = values.reduce(0.0) { $0 + Double($1) } / count
        let deviation = (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / count).squareRoot()
        let scale = Float(levels / (deviation * levels + 1)) * quantum
        let centre = Float(mean)
        return values.map { Int8(max(-127, min(127, ((Float($0) - centre) * scale).rounded()))) }
    }

    /// Mean absolute difference of two normalised thumbnails (in deviations): 0 for the same
    /// picture at another brightness or contrast. Stops early, with a value over `limit`, once
    /// the pair cannot come back under it.
    static func thumbnailDistance(_ first: [Int8]?, _ second: [Int8]?, limit: Double = .infinity) -> Double {
        guard let first, let second, first.count == second.count, !first.isEmpty else { return .infinity }
        let budget = limit.isFinite ? Int(limit * Double(first.count) * Double(quantum)) : Int.max
        var sum = 0
        first.withUnsafeBufferPointer { a in
            second.withUnsafeBufferPointer { b in
                var start = 0
                while start < a.count, sum <= budget {
                    let end = min(a.count, start + 256)
                    var part: Int32 = 0  // 256 differences of at most 254 fit
                    for index in start..<end { part += abs(Int32(a[index]) - Int32(b[index])) }
                    sum += Int(part)
                    start = end
                }
            }
        }
        return Double(sum) / Double(first.count) / Double(quantum)
    }

    static func thumbnailDistance(_ a: Image, _ b: Image) -> Double {
        guard let first = a.thumbnail, let second = b.thumbnail else { return .infinity }
        return thumbnailDistance(normalisedThumbnail(first, range: a.thumbnailRange), normalisedThumbnail(second, range: b.thumbnailRange))
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
