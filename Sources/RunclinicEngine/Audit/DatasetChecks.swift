import Foundation

/// The checks that need the whole dataset: byte-identical duplicates, near-duplicates (perceptual
/// hash within a Hamming radius, found through hash bands rather than comparing every pair), and
/// sizes far outside the dataset's distribution.
public enum DatasetChecks {
    /// What the dataset-wide checks need of one image (stored in `audit_images`; its thumbnail
    /// stays with its inspection).
    public struct Image: Sendable {
        public let path: String
        /// Unreadable files are recorded as audited but take part in no dataset-wide check.
        public let readable: Bool
        public let size: Int
        public let contentHash: UInt64
        public var width: Int? = nil
        public var height: Int? = nil
        /// Nil for images with too little content to compare (a blank page hashes like any other).
        public var differenceHash: UInt64? = nil
        /// The thumbnail's average hash (see `averageHash`).
        public var averageHash: UInt64? = nil
        /// The thumbnail's perceptual hash (see `perceptualHash`).
        public var perceptualHash: UInt64? = nil
        /// Character marks of a document (see ImageMeasures.textMarks): copies of one page have nearly the same
        /// number, distinct pages of one layout rarely do.
        public var textMarks: Int? = nil
    }

    /// Thumbnail difference under which two images are near-duplicates (see `thumbnailDistance`).
    /// Measured on the audit bench (48x48): copies re-encoded at quality 70 or resized to 80% were
    /// 0.07 apart at most; distinct receipts of one layout, and near-blank pages with a few lines
    /// at the top (which hash alike), 0.146 and more. (At 24x24 the two overlapped.)
    static let thumbnailRadius = 0.1
    /// Two sparse documents are only near-duplicates when their character counts agree within 10%:
    /// on the bench, copies agreed within 7% (a copy may be measured at 768 px and its original at
    /// 1,024); near-blank pages whose thumbnails matched differed by 2-16%. Pages with more text
    /// than `sparsePage` marks show their words in the thumbnail, and their counts are no guide:
    /// small print at the labelling scale merges into words or not with the slightest change (a
    /// scan and its copy resized to two thirds counted 1,132 and 387). Both pages must be sparse:
    /// a page of 382 marks resized to 60% counted 154, its thumbnail 0.044 from the original's.
    static let textMarksAgreement = 0.9
    static let sparsePage = 200
    /// Unless their thumbnails are as close as a re-encoded copy's: a sparse page resized to
    /// under half, or a photo of reeds at JPEG quality 42, counted 13-14% fewer marks than its
    /// original, 0.009-0.019 apart; pages and photos of the benches' tune halves and the issue-4
    /// set whose counts differed by 10% or more were 0.06 apart and more.
    static let copyThumbnailRadius = 0.03

    /// Hash bits a candidate pair may differ in (on average over its two hashes) before its
    /// thumbnails are compared. Within 7 bits two hashes are sure to share one of the eight bands;
    /// pairs further apart are found when they share one, which re-encoded documents mostly do.
    static let nearRadius = 12
    /// A copy cropped by up to a tenth moves every cell of the 48x48 thumbnail, so its thumbnails
    /// disagree; its keypoints align it instead. A pair whose hashes are within 20 bits (of 128;
    /// on the bench, cropped copies were 22 at most and mostly 3-16; of copies of the tune half's
    /// pictures cropped by 4-10% and resized or re-encoded, 13 of 600 more were found at 20 than at
    /// 16, 4 more at 24 for twice the cost again) and whose thumbnails differ is aligned by its
    /// keypoints: it is a near-duplicate when 22 or more keypoints agree on one similarity
    /// transform (scale 0.6-1.7, turned 5 degrees at most) and the thumbnails, compared over the
    /// part of the picture both show, are within 0.26. Measured on crops of the tune half
    /// (4-10%, re-encoded, resized, brightened): copies had 22-127 agreeing keypoints and were
    /// 0.25 apart at most once aligned; distinct pages of one layout, photographed on one table,
    /// reached 39 agreeing keypoints (the table) but were 0.37 apart and more, and those 0.27
    /// apart had 21 at most.
    static let keypointHashBits = 20
    /// Or, up to 28 bits apart, whose perceptual hashes are within 12 bits (of 63): a crop moves
    /// the thumbnail's lowest frequencies less than its cells. Of the copies in four near-duplicate
    /// stress sets (seeds 1, 2, 4, 5) cropped by up to a tenth, 437 of 455 were within 20 bits of the
    /// two hashes, 450 within this too. It adds 1,529 pairs to tune's 22,000 and 122 to tune3's 3,800,
    /// but 45,000 to the 41,000 of the issue-4 set, whose receipts share one layout; so such a pair
    /// is aligned only when its aspect ratios agree as a crop's do (20,000 of the 45,000; a tenth cut
    /// off one side makes 1.11), and taken only when its keypoints turn it a degree at most. Crops
    /// are not turned: the stress sets' were turned 0.14 degrees at most, where a page of tune3
    /// sharing a photograph and a layout with another, scanned 2.5 degrees apart, was turned 2.4
    /// (46 keypoints agreed, and its thumbnails were 0.13 apart).
    static let keypointPerceptualBits = 12
    static let perceptualHashBits = 28
    static let perceptualAspect = 1.12
    static let perceptualRotation = 1.0
    static let keypointInliers = 22
    static let keypointScales = 0.6...1.7
    static let keypointRotation = 5.0
    static let alignedRadius = 0.26
    /// With twice the agreeing keypoints (44 and more), 0.30: the thumbnails of a page's fine print
    /// blur apart when resampled, and a cropped, brightened copy of a scanned page (59 keypoints)
    /// sat at 0.29 on the tune half.
    static let wellAlignedRadius = 0.30
    /// Keypoints that must agree before an alignment is taken at all: a similarity is fixed by two
    /// matches, and a soft texture's copy keeps only a handful (5 of 9 on the tune half). So few
    /// only confirm a crop whose aligned thumbnails are within `thumbnailRadius`.
    static let fewestInliers = 4
    /// The agreeing keypoints must come from across the picture, not from one part of it (a
    /// shared background): of the cells of a 3x3 grid over the part both show that hold any of
    /// the first image's keypoints, 60% or more must hold an agreeing one. On the bench, copies
    /// covered 0.67 and more; distinct pages photographed on one table, 0.5 at most.
    static let keypointCoverage = 0.6
    /// A cropped copy of a smooth picture keeps too few keypoints to be aligned by them (a soft
    /// wallpaper's crops kept 0-6). So a pair whose hashes are within 12 bits, one of which has
    /// fewer keypoints than `keypointInliers`, is also laid over itself as a crop (see
    /// ThumbnailRegistration): a near-duplicate when the thumbnails are then within 0.07, closer
    /// than an uncropped copy must be, since the search tries some 300 crops. On the tune halves
    /// and two near-duplicate stress sets (1,660 pairs within 12 bits whose thumbnails differ),
    /// cropped copies of smooth pictures registered at 0.01-0.07 and every distinct pair at 0.10
    /// or more.
    static let registrationHashBits = 12
    static let registeredRadius = 0.07
    /// Changes whenever what the checks find from the same images changes: an audit copies an
    /// earlier audit's dataset-wide findings only when they were found by this version.
    static let version = 14
    /// Edge density (Canny) from which an image of little histogram entropy still has a picture to
    /// compare: the per-image checks call one under 0.01 edgeless.
    static let comparableEdgeDensity = 0.01
    /// Images sharing one hash band that are still compared pair by pair.
    static let largestBucket = 2_000

    /// Runs the checks asked for over an audit's stored images, handing findings to `emit` in batches.
    static func run(
        _ images: AuditImageIndex, checks: Set<ImageIssue> = Set(ImageIssue.allCases),
        emit: ([AuditFinding]) throws -> Void
    ) throws {
        if checks.contains(.duplicate) { try emit(duplicates(images)) }
        if checks.contains(.nearDuplicate) { try emit(nearDuplicates(images, radius: nearRadius)) }
        if checks.contains(.oddSize) { try emit(oddSizes(images)) }
    }

    /// Every byte-identical copy after the first (by path) of its group.
    static func duplicates(_ images: AuditImageIndex) throws -> [AuditFinding] {
        var found: [AuditFinding] = []
        try images.forEachIdenticalGroup { paths in
            for path in paths.dropFirst() {
                var finding = AuditFinding(
                    path: path, issue: .duplicate, severity: .warning, score: 0, threshold: 0,
                    detail: "the same bytes as \(paths[0])")
                finding.group = paths[0]
                found.append(finding)
            }
        }
        return found
    }

    /// Eight 8-bit bands of three 64-bit hashes (the difference hash, and an average and a
    /// perceptual hash of the thumbnail): only images sharing a band of one are compared (no scan
    /// of every pair), and their thumbnails or keypoints then confirm the pair. Two hashes of one
    /// picture can drift apart on a flat page (its cells differ by noise); the second hash gives
    /// such a pair a second chance, and the third a cropped copy.
    /// Memory holds one bucket, the images paired so far, and a bounded cache of thumbnails.
    static func nearDuplicates(_ images: AuditImageIndex, radius: Int) throws -> [AuditFinding] {
        var parent: [Int64: Int64] = [:]  // union-find over the images paired so far (by row id)
        func root(_ id: Int64) -> Int64 {
            var node = id
            while let up = parent[node], up != node {
                parent[node] = parent[up] ?? up
                node = up
            }
            return node
        }
        // For each image paired so far, its closest pair: how far apart, and the keypoints that
        // agreed when a crop was aligned. Both ends are kept: either may end up under another root.
        var evidence: [Int64: (apart: Double, keypoints: Int?, bar: Double, cropped: Bool)] = [:]
        var normalised: [Int64: [Int8]] = [:]
        var keypoints: [Int64: ImageKeypoints] = [:]
        var aligned: Set<AlignedPair> = []  // pairs already aligned (a pair shares up to 16 bands)
        typealias Frame = (width: Int, height: Int)
        var unregistered: [(first: Int64, second: Int64, firstFrame: Frame, secondFrame: Frame)] = []
        func join(
            _ a: Int64, _ b: Int64, apart: Double, keypoints: Int? = nil, bar: Double = Self.thumbnailRadius,
            cropped: Bool = false
        ) {
            let (ra, rb) = (root(a), root(b))
            parent[ra] = ra
            parent[rb] = rb
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
            for id in [a, b] where apart < evidence[id]?.apart ?? .infinity {
                evidence[id] = (apart, keypoints, bar, cropped)
            }
        }
        for band in 0..<24 {
            try images.forEachHashBucket(band: band, limit: Self.largestBucket) { members in
                // The pairs whose hashes are close, then their thumbnails (read for this bucket only).
                var pairs: [(Hashes, Hashes, bits: Int, perceptualOnly: Bool, countsAgree: Bool)] = []
                // Plain arrays for the pair loop (a missing average hash counts as 64 bits off).
                let differences = members.map(\.differenceHash)
                let averages = members.map { $0.averageHash ?? 0 }
                let averaged = members.map { $0.averageHash != nil }
                let perceptual = members.map(\.perceptualHash)
                for a in members.indices {
                    for b in (a + 1)..<members.count {
                        // The two hashes together within twice the radius (of 128 bits): a flat page's
                        // difference hash drifts with noise, its average hash does not.
                        let averageBits = averaged[a] && averaged[b] ? (averages[a] ^ averages[b]).nonzeroBitCount : 64
                        let bits = (differences[a] ^ differences[b]).nonzeroBitCount + averageBits
                        let perceptualBits =
                            if let first = perceptual[a], let second = perceptual[b] {
                                (first ^ second).nonzeroBitCount
                            } else { 64 }
                        let perceptualOnly =
                            bits > Self.keypointHashBits && bits <= Self.perceptualHashBits
                            && perceptualBits <= Self.keypointPerceptualBits
                        guard bits <= 2 * radius || perceptualOnly else { continue }
                        var countsAgree = true
                        if let first = members[a].textMarks, let second = members[b].textMarks,
                            max(first, second) < Self.sparsePage,
                            Double(min(first, second)) < Self.textMarksAgreement * Double(max(first, second))
                        {
                            countsAgree = false
                        }
                        // Already joined through another band: nothing to learn.
                        guard evidence[members[b].id] == nil || root(members[a].id) != root(members[b].id) else {
                            continue
                        }
                        pairs.append((members[a], members[b], bits, perceptualOnly, countsAgree))
                    }
                }
                guard !pairs.isEmpty else { return }
                var needed: Set<Int64> = []
                for (a, b, bits, _, _) in pairs
                where bits <= 2 * radius && (normalised[a.id] == nil || normalised[b.id] == nil) {
                    needed.insert(a.id)
                    needed.insert(b.id)
                }
                // Normalised thumbnails are kept across buckets (an image sits in up to 16), up to a
                // bound: memory stays flat however large the dataset.
                if normalised.count + needed.count > Self.cachedThumbnails {
                    normalised.removeAll(keepingCapacity: true)
                }
                for (id, stored) in try images.thumbnails(needed.filter { normalised[$0] == nil }) {
                    normalised[id] = normalisedThumbnail(stored.bytes, range: stored.range)
                }
                var unaligned: [(Hashes, Hashes, bits: Int, perceptualOnly: Bool)] = []
                for (a, b, bits, perceptualOnly, countsAgree) in pairs {
                    let bar = countsAgree ? Self.thumbnailRadius : Self.copyThumbnailRadius
                    // Thumbnails are compared within twice the radius only: pairs further apart
                    // are candidates for a crop alone.
                    let apart =
                        bits <= 2 * radius
                        ? thumbnailDistance(normalised[a.id], normalised[b.id], limit: bar) : .infinity
                    if apart <= bar {
                        join(a.id, b.id, apart: apart, bar: bar)
                    } else if countsAgree,
                        bits <= Self.keypointHashBits || perceptualOnly,
                        aligned.insert(AlignedPair(first: a.id, second: b.id)).inserted
                    {
                        unaligned.append((a, b, bits, perceptualOnly))
                    }
                }
                guard !unaligned.isEmpty else { return }
                // A crop: align the pair by its keypoints, then compare what both show.
                let missing = Set(unaligned.flatMap { [$0.0.id, $0.1.id] }).filter { keypoints[$0] == nil }
                if keypoints.count + missing.count > Self.cachedKeypoints {
                    keypoints.removeAll(keepingCapacity: true)
                }
                for (id, stored) in try images.keypoints(Array(missing)) { keypoints[id] = stored }
                // Aligned on every core first (most of this check's time), then judged in order as
                // before: a pair joined meanwhile through another is skipped, so findings are the same.
                let candidates = unaligned.compactMap {
                    a, b, _, perceptualOnly -> (Hashes, Hashes, ImageKeypoints, ImageKeypoints, perceptualOnly: Bool)?
                    in
                    guard evidence[b.id] == nil || root(a.id) != root(b.id), let first = keypoints[a.id],
                        let second = keypoints[b.id]
                    else { return nil }
                    if perceptualOnly {
                        // Aspect ratios compared crosswise: w1 / h1 against w2 / h2.
                        guard let firstFrame = first.frame, let secondFrame = second.frame else { return nil }
                        let (firstAspect, secondAspect) =
                            (firstFrame.width * secondFrame.height, secondFrame.width * firstFrame.height)
                        guard
                            Double(max(firstAspect, secondAspect))
                                <= Self.perceptualAspect * Double(min(firstAspect, secondAspect))
                        else { return nil }
                    }
                    return (a, b, first, second, perceptualOnly)
                }
                let alignments = candidates.concurrentMap {
                    KeypointAlignment.between($0.2, $0.3, leastInliers: Self.fewestInliers)
                }
                for ((a, b, first, second, perceptualOnly), found) in zip(candidates, alignments)
                where evidence[b.id] == nil || root(a.id) != root(b.id) {
                    // Hashes as far apart as only the perceptual one brings together: a crop, not turned.
                    let turn = perceptualOnly ? Self.perceptualRotation : Self.keypointRotation
                    guard let alignment = found, alignment.inliers >= Self.fewestInliers,
                        Self.keypointScales.contains(alignment.scale), abs(alignment.rotation) <= turn
                    else { continue }
                    let stored = try images.thumbnails([a.id, b.id])
                    guard let firstThumbnail = stored[a.id], let secondThumbnail = stored[b.id],
                        let firstFrame = first.frame, let secondFrame = second.frame,
                        let region = alignment.sharedRegion(firstFrame, secondFrame)
                    else { continue }
                    // Keypoints enough, from across the picture, and thumbnails close where both show
                    // the same (smoothed: see alignedThumbnailDistance); or, for a picture with few
                    // keypoints (a soft texture, a smooth scene), thumbnails as close once aligned as an
                    // uncropped copy's must be.
                    let vouched =
                        alignment.inliers >= Self.keypointInliers
                        && alignment.coverage(of: first.positions, in: region) >= Self.keypointCoverage
                    let apart = alignedThumbnailDistance(
                        firstThumbnail, frame: firstFrame, secondThumbnail, frame: secondFrame, alignment: alignment,
                        smoothed: vouched)
                    let bar =
                        vouched
                        ? (alignment.inliers >= 2 * Self.keypointInliers ? Self.wellAlignedRadius : Self.alignedRadius)
                        : Self.thumbnailRadius
                    guard apart <= bar else { continue }
                    join(a.id, b.id, apart: apart, keypoints: alignment.inliers, bar: bar)
                }
                // Close hashes still apart, one picture too smooth for keypoints: a crop of it may
                // still lie over the other. Laid over at the end, on every core, unless joined by then.
                for (a, b, bits, _) in unaligned where bits <= Self.registrationHashBits {
                    guard let first = keypoints[a.id], let second = keypoints[b.id],
                        min(first.found, second.found) < Self.keypointInliers,
                        let firstFrame = first.frame, let secondFrame = second.frame
                    else { continue }
                    unregistered.append((a.id, b.id, firstFrame, secondFrame))
                }
            }
        }
        unregistered.removeAll { root($0.first) == root($0.second) }
        if !unregistered.isEmpty {
            let thumbnails = try images.thumbnails(Array(Set(unregistered.flatMap { [$0.first, $0.second] })))
            let registrations = unregistered.concurrentMap { pair -> Double in
                guard let first = thumbnails[pair.first], let second = thumbnails[pair.second] else { return .infinity }
                return ThumbnailRegistration.distance(first, frame: pair.firstFrame, second, frame: pair.secondFrame)
            }
            for (pair, apart) in zip(unregistered, registrations) where apart <= Self.registeredRadius {
                join(pair.first, pair.second, apart: apart, bar: Self.registeredRadius, cropped: true)
            }
        }
        var found: [AuditFinding] = []
        for id in parent.keys.sorted() {
            let group = root(id)
            guard group != id else { continue }
            let apart = evidence[id]?.apart ?? Self.thumbnailRadius
            let agreeing = evidence[id]?.keypoints
            let original = try images.path(group)
            let shared = "thumbnails \(apart.shortDescription) apart where both show the same"
            let aligned =
                agreeing.map { "\($0) keypoints agree on a crop of it; \(shared)" }
                ?? (evidence[id]?.cropped == true ? "laid over a crop of it: \(shared)" : nil)
            var finding = AuditFinding(
                path: try images.path(id), issue: .nearDuplicate, severity: .warning,
                score: apart, threshold: evidence[id]?.bar ?? Self.thumbnailRadius,
                detail: "looks like \(original) (\(aligned ?? "thumbnails \(apart.shortDescription) apart"))")
            finding.group = original
            found.append(finding)
        }
        return found
    }

    typealias Hashes = AuditImageIndex.Hashes

    /// Mean absolute difference (in deviations, as `thumbnailDistance`) of two thumbnails over the
    /// part of the picture both show (see KeypointAlignment.sharedRegion), sampled on a 32x32 grid
    /// from both (bilinear, edges repeated). Infinite when there is no such part: not a crop.
    /// `smoothed` first blurs both thumbnails by [1 2 1] each way: a receipt's 48 thumbnail rows
    /// span 300 of its pixels, so its text lines alias, and a crop that moves them by a fraction of
    /// a row set cropped copies of the stress sets' receipts 0.26-0.53 apart (0.10-0.22 smoothed),
    /// where distinct pictures that keypoints vouched for stayed 0.33 apart and more.
    static func alignedThumbnailDistance(
        _ first: (bytes: [UInt8], range: Double), frame firstFrame: (width: Int, height: Int),
        _ second: (bytes: [UInt8], range: Double), frame secondFrame: (width: Int, height: Int),
        alignment: KeypointAlignment, smoothed: Bool = false
    ) -> Double {
        let side = 48
        let grid = 32
        guard first.bytes.count == side * side, second.bytes.count == side * side, firstFrame.width > 0,
            firstFrame.height > 0, secondFrame.width > 0, secondFrame.height > 0
        else { return .infinity }
        guard let (left, top, right, bottom) = alignment.sharedRegion(firstFrame, secondFrame) else { return .infinity }
        let (width, height) = (Double(firstFrame.width), Double(firstFrame.height))
        func levels(_ bytes: [UInt8]) -> [Double] {
            let values = bytes.map(Double.init)
            guard smoothed else { return values }
            func blurred(_ values: [Double], index: (Int, Int) -> Int) -> [Double] {
                var out = values
                for line in 0..<side {
                    for position in 0..<side {
                        let (before, after) = (max(position - 1, 0), min(position + 1, side - 1))
                        let (left, middle, right) =
                            (values[index(line, before)], values[index(line, position)], values[index(line, after)])
                        out[index(line, position)] = (left + 2 * middle + right) / 4
                    }
                }
                return out
            }
            let across = blurred(values) { row, column in row * side + column }
            return blurred(across) { column, row in row * side + column }
        }
        let (firstLevels, secondLevels) = (levels(first.bytes), levels(second.bytes))
        func sample(_ thumbnail: [Double], _ x: Double, _ y: Double) -> Double {
            let (cx, cy) = (min(max(x, 0), Double(side - 1)), min(max(y, 0), Double(side - 1)))
            let (x0, y0) = (Int(cx), Int(cy))
            let (x1, y1) = (min(x0 + 1, side - 1), min(y0 + 1, side - 1))
            let (fx, fy) = (cx - Double(x0), cy - Double(y0))
            let upper = thumbnail[y0 * side + x0] * (1 - fx) + thumbnail[y0 * side + x1] * fx
            let lower = thumbnail[y1 * side + x0] * (1 - fx) + thumbnail[y1 * side + x1] * fx
            return upper * (1 - fy) + lower * fy
        }
        var firstValues: [Double] = []
        var secondValues: [Double] = []
        for row in 0..<grid {
            let y = top + (bottom - top) * (Double(row) + 0.5) / Double(grid)
            for column in 0..<grid {
                let x = left + (right - left) * (Double(column) + 0.5) / Double(grid)
                let (u, v) = alignment.apply(x, y)
                firstValues.append(sample(firstLevels, x * Double(side) / width - 0.5, y * Double(side) / height - 0.5))
                secondValues.append(
                    sample(
                        secondLevels, u * Double(side) / Double(secondFrame.width) - 0.5,
                        v * Double(side) / Double(secondFrame.height) - 0.5))
            }
        }
        // In the images' own grey levels, one level added to the deviation (see normalisedThumbnail).
        func normalised(_ values: [Double], range: Double) -> [Double] {
            let levels = values.map { $0 * range / 255 }
            let mean = levels.reduce(0, +) / Double(levels.count)
            let deviation = (levels.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(levels.count)).squareRoot()
            return levels.map { ($0 - mean) / (deviation + 1) }
        }
        let (a, b) = (normalised(firstValues, range: first.range), normalised(secondValues, range: second.range))
        return zip(a, b).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(a.count)
    }

    /// 64-bit average hash: is each 6x6 block of the 48x48 thumbnail brighter than the mean?
    static func averageHash(_ thumbnail: [UInt8]?) -> UInt64? {
        guard let thumbnail, thumbnail.count == 48 * 48 else { return nil }
        var blocks = [Int](repeating: 0, count: 64)
        for row in 0..<48 {
            for column in 0..<48 { blocks[(row / 6) * 8 + column / 6] += Int(thumbnail[row * 48 + column]) }
        }
        let mean = blocks.reduce(0, +) / 64
        return blocks.enumerated().reduce(UInt64(0)) { hash, block in
            block.element > mean ? hash | (1 << UInt64(block.offset)) : hash
        }
    }

    /// 63-bit perceptual hash: is each of the 63 lowest frequencies of the 48x48 thumbnail's
    /// cosine transform (8 each way, the mean left out) above their median? The picture's coarse
    /// layout, which a crop or a re-encoding hardly moves.
    static func perceptualHash(_ thumbnail: [UInt8]?) -> UInt64? {
        let side = 48
        guard let thumbnail, thumbnail.count == side * side else { return nil }
        let basis = Self.cosineBasis
        // Along rows first (8 frequencies of each row), then down the columns.
        var across = [Double](repeating: 0, count: side * 8)
        for row in 0..<side {
            for frequency in 0..<8 {
                var sum = 0.0
                for column in 0..<side { sum += Double(thumbnail[row * side + column]) * basis[frequency][column] }
                across[row * 8 + frequency] = sum
            }
        }
        var coefficients: [Double] = []
        for vertical in 0..<8 {
            for horizontal in 0..<8 where vertical + horizontal > 0 {
                var sum = 0.0
                for row in 0..<side { sum += across[row * 8 + horizontal] * basis[vertical][row] }
                coefficients.append(sum)
            }
        }
        let median = coefficients.sorted()[coefficients.count / 2]
        return coefficients.enumerated().reduce(UInt64(0)) { hash, coefficient in
            coefficient.element > median ? hash | (1 << UInt64(coefficient.offset)) : hash
        }
    }

    /// The 8 lowest frequencies of the cosine transform over the thumbnail's 48 positions.
    private static let cosineBasis: [[Double]] = (0..<8).map { frequency in
        (0..<48).map { position in cos(Double.pi * Double((2 * position + 1) * frequency) / 96) }
    }

    /// Normalised thumbnails held at once during near-duplicate grouping (2.3 KB each).
    static let cachedThumbnails = 8_192
    /// Keypoint records held at once while aligning crops (4.6 KB each at most).
    static let cachedKeypoints = 2_048
    /// Two images by row id, for the set of pairs already aligned.
    struct AlignedPair: Hashable {
        let first: Int64
        let second: Int64
    }
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
                    // 256 differences of at most 254 fit; wrapping operations (which cannot wrap
                    // here) let the compiler vectorise the loop.
                    var part: Int32 = 0
                    for index in start..<end {
                        let difference = Int32(a[index]) &- Int32(b[index])
                        part &+= (difference ^ (difference >> 31)) &- (difference >> 31)
                    }
                    sum += Int(part)
                    start = end
                }
            }
        }
        return Double(sum) / Double(first.count) / Double(quantum)
    }

    /// At least 20 times more or fewer pixels than the dataset's median, and a robust z-score of
    /// log(pixels) above 4, in a dataset of at least 20 images. The ratio keeps a dataset of very
    /// similar sizes (a small spread) from calling a half-size image odd.
    static func oddSizes(_ images: AuditImageIndex) throws -> [AuditFinding] {
        let count = try images.sizedCount()
        guard count >= 20 else { return [] }
        let median = try images.medianLogPixels(count: count)
        let mad = try images.medianLogDistance(count: count, centre: median)
        let scale = max(1.4826 * mad, 0.1)
        let reach = max(4 * scale, log(20.0))  // no finding within this distance of the median
        var found: [AuditFinding] = []
        try images.forEachSized(outside: exp(median - reach), exp(median + reach)) { path, width, height in
            let value = log(Double(max(1, width * height)))
            let z = abs(value - median) / scale
            guard z > 4, abs(value - median) >= log(20.0) else { return }
            found.append(
                AuditFinding(
                    path: path, issue: .oddSize, severity: .warning, score: z, threshold: 4,
                    detail: "\(width)x\(height) pixels, far from the dataset's typical \(Int(exp(median))) pixels"))
        }
        return found
    }
}
