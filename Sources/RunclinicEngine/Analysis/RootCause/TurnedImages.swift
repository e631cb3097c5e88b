import Foundation

/// Whether new images look like the other images of the run turned: a quarter or half turn (a
/// rotated file) or a tilt of 15-30 degrees (a skewed scan). The audit sees rotation only in pages
/// of text; this compares each image with the run's other images, so it holds for any content
/// that is alike across the set (digits, faces, products, forms).
///
/// Each image's content (what stands out from its background, in its 48x48 thumbnail) is brought
/// to a common centre and scale and matched against the other images, upright and turned back by
/// each candidate pose; the pose that matches best is the image's. A slant (a writer's shear) is a
/// candidate too: a hand that slants is other data, not a damaged file. The new images' share of
/// turned poses is compared with the share among the other images themselves (each against the
/// rest, which is how often an intact image merely looks turned) by Fisher's exact test.
struct TurnedImages: Sendable {
    enum Pose: Sendable, Equatable {
        case upright
        case quarterTurns(Int)
        case tilt(degrees: Double)
        case slant(shear: Double)

        var isTurned: Bool {
            switch self {
            case .quarterTurns, .tilt: return true
            case .upright, .slant: return false
            }
        }
    }

    struct Finding: Sendable {
        let defect: ImageIssue
        let turned: [String]
        let compared: Int
        let referenceTurned: Int
        let referenceCompared: Int
        let pValue: Double
        /// How many of the turned images took each pose, in words ("90 degrees: 7, 180 degrees: 5").
        let poses: String
    }

    static let candidates: [Pose] =
        [.upright, .quarterTurns(1), .quarterTurns(2), .quarterTurns(3)]
        + [-30.0, -22, -15, 15, 22, 30].map { Pose.tilt(degrees: $0) }
        + [-0.5, -0.3, -0.15, 0.15, 0.3, 0.5].map { Pose.slant(shear: $0) }

    /// At most this many images of each group are compared (a stride through them), which bounds
    /// the cost at about 100 x 16 x 200 products of 144-cell patches.
    static let maximumNew = 100
    static let maximumReference = 200
    /// A pose other than upright must match this much better (correlation) to be the image's.
    static let margin: Float = 0.03

    /// The finding when the new images are turned significantly more often than the others.
    static func compare(new: [(sample: String, thumbnail: [UInt8])], reference: [(sample: String, thumbnail: [UInt8])])
        -> Finding?
    {
        let newContent = strided(new, maximumNew).compactMap { entry in
            ContentPatch(thumbnail: entry.thumbnail).map { (entry.sample, $0) }
        }
        let referenceContent = strided(reference, maximumReference).compactMap { ContentPatch(thumbnail: $0.thumbnail) }
        guard newContent.count >= 5, referenceContent.count >= 20 else { return nil }
        let uprightReference = referenceContent.map { $0.sampled(.upright) }
        let newPoses = newContent.map {
            (sample: $0.0, pose: bestPose(of: $0.1, among: uprightReference, excluding: nil))
        }
        let referencePoses = strided(Array(referenceContent.enumerated()), maximumNew).map { index, patch in
            bestPose(of: patch, among: uprightReference, excluding: index)
        }
        let turned = newPoses.filter { $0.pose.isTurned }
        let slanted = newPoses.filter { if case .slant = $0.pose { return true } else { return false } }.count
        let referenceTurned = referencePoses.filter(\.isTurned).count
        let share = Double(turned.count) / Double(newPoses.count)
        let referenceShare = Double(referenceTurned) / Double(referencePoses.count)
        let p = FisherExactTest.greater(
            turned.count, newPoses.count - turned.count, referenceTurned, referencePoses.count - referenceTurned)
        guard p < 0.01, share >= 0.3, share >= 2 * referenceShare + 0.1, turned.count > slanted else { return nil }
        var quarter: [Int: Int] = [:]
        var tilts = 0
        for entry in turned {
            switch entry.pose {
            case .quarterTurns(let turns): quarter[turns, default: 0] += 1
            default: tilts += 1
            }
        }
        let quarterCount = quarter.values.reduce(0, +)
        var words = quarter.sorted { $0.key < $1.key }.map { "\($0.key * 90) degrees: \($0.value)" }
        if tilts > 0 { words.append("tilted 15-30 degrees: \(tilts)") }
        return Finding(
            defect: quarterCount >= tilts ? .rotated : .skewed, turned: turned.map(\.sample), compared: newPoses.count,
            referenceTurned: referenceTurned, referenceCompared: referencePoses.count, pValue: p,
            poses: words.joined(separator: ", "))
    }

    /// The candidate pose under which the image, turned back, matches some other image best.
    static func bestPose(of patch: ContentPatch, among reference: [[Float]], excluding: Int?) -> Pose {
        var best: (pose: Pose, score: Float) = (.upright, -.infinity)
        for pose in candidates {
            let sampled = patch.sampled(pose)
            var score: Float = -.infinity
            for (index, other) in reference.enumerated() where index != excluding {
                score = max(score, ContentPatch.correlation(sampled, other))
            }
            if pose != .upright { score -= margin }
            if score > best.score { best = (pose, score) }
        }
        return best.pose
    }

    static func strided<T>(_ items: [T], _ limit: Int) -> [T] {
        guard items.count > limit else { return items }
        return (0..<limit).map { items[$0 * items.count / limit] }
    }
}

/// An image's content as a small patch: the cells of its thumbnail that stand out from its
/// background (ink on paper, an object on a plain ground), weighted by how far, sampled on a grid
/// centred on their centre of mass and scaled to their spread, so that placement and size do not
/// count when two images are compared.
struct ContentPatch: Sendable {
    static let thumbnailSide = 48
    static let side = 12

    let weights: [Float]
    let centre: (x: Double, y: Double)
    let spacing: Double

    init?(thumbnail: [UInt8]) {
        let side = Self.thumbnailSide
        guard thumbnail.count == side * side else { return nil }
        let sorted = thumbnail.sorted()
        let background = Float(sorted[sorted.count / 2])
        // Content is on the side of the background that holds less: dark ink on light paper, or the reverse.
        var darker: Float = 0
        var lighter: Float = 0
        for value in thumbnail {
            let difference = Float(value) - background
            if difference < 0 { darker -= difference } else { lighter += difference }
        }
        let sign: Float = darker >= lighter ? -1 : 1
        var weights = thumbnail.map { max(0, sign * (Float($0) - background)) }
        let strongest = weights.max() ?? 0
        guard strongest > 8 else { return nil }  // a blank image has no content to turn
        weights = weights.map { max(0, $0 - 0.15 * strongest) }
        var total = 0.0
        var sumX = 0.0
        var sumY = 0.0
        for y in 0..<side {
            for x in 0..<side {
                let weight = Double(weights[y * side + x])
                total += weight
                sumX += weight * Double(x)
                sumY += weight * Double(y)
            }
        }
        guard total > 0 else { return nil }
        let centre = (x: sumX / total, y: sumY / total)
        var spread = 0.0
        for y in 0..<side {
            for x in 0..<side {
                let dx = Double(x) - centre.x
                let dy = Double(y) - centre.y
                spread += Double(weights[y * side + x]) * (dx * dx + dy * dy)
            }
        }
        let radius = max(2, 2 * (spread / total).squareRoot())
        self.weights = weights
        self.centre = centre
        self.spacing = 2 * radius / Double(Self.side)
    }

    /// The patch seen in a pose: the grid is turned (or sheared) before sampling, which undoes the
    /// pose in the image. Zero mean, unit norm.
    func sampled(_ pose: TurnedImages.Pose) -> [Float] {
        let (a, b, c, d): (Double, Double, Double, Double)
        switch pose {
        case .upright: (a, b, c, d) = (1, 0, 0, 1)
        case .quarterTurns(let turns):
            let angle = Double(turns) * Double.pi / 2
            (a, b, c, d) = (cos(angle).rounded(), -sin(angle).rounded(), sin(angle).rounded(), cos(angle).rounded())
        case .tilt(let degrees):
            let angle = degrees * Double.pi / 180
            (a, b, c, d) = (cos(angle), -sin(angle), sin(angle), cos(angle))
        case .slant(let shear): (a, b, c, d) = (1, shear, 0, 1)
        }
        let side = Self.side
        let half = Double(side - 1) / 2
        var out = [Float](repeating: 0, count: side * side)
        for row in 0..<side {
            for column in 0..<side {
                let u = (Double(column) - half) * spacing
                let v = (Double(row) - half) * spacing
                out[row * side + column] = value(x: centre.x + a * u + b * v, y: centre.y + c * u + d * v)
            }
        }
        let mean = out.reduce(0, +) / Float(out.count)
        var norm: Float = 0
        for index in out.indices {
            out[index] -= mean
            norm += out[index] * out[index]
        }
        norm = norm.squareRoot()
        return norm > 0 ? out.map { $0 / norm } : out
    }

    /// Bilinear weight at a point of the thumbnail (zero outside it).
    func value(x: Double, y: Double) -> Float {
        let side = Self.thumbnailSide
        let x0 = Int(floor(x))
        let y0 = Int(floor(y))
        let fx = Float(x - Double(x0))
        let fy = Float(y - Double(y0))
        func at(_ px: Int, _ py: Int) -> Float {
            guard px >= 0, py >= 0, px < side, py < side else { return 0 }
            return weights[py * side + px]
        }
        let top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx
        let bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx
        return top * (1 - fy) + bottom * fy
    }

    static func correlation(_ first: [Float], _ second: [Float]) -> Float {
        first.withUnsafeBufferPointer { a in
            second.withUnsafeBufferPointer { b in
                var sum: Float = 0
                for index in 0..<min(a.count, b.count) { sum += a[index] * b[index] }
                return sum
            }
        }
    }
}
