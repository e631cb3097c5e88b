import CDescriptorMatching
import Foundation

/// How one image's keypoints map onto another's: a similarity transform (scale, turn, shift) from
/// the first image's keypoint frame to the second's, found by RANSAC among the keypoint matches
/// that pass Lowe's ratio test, as OpenCV's `estimateAffinePartial2D` finds it.
public struct KeypointAlignment: Sendable, Equatable {
    /// Matches that passed the ratio test, and those the transform carries within 3 px.
    public let matches: Int
    public let inliers: Int
    /// x' = a x - b y + tx, y' = b x + a y + ty.
    public let a: Double
    public let b: Double
    public let tx: Double
    public let ty: Double
    /// Where the carried matches lie in the first image's keypoint frame.
    public var carried: [Point] = []

    public var scale: Double { (a * a + b * b).squareRoot() }
    /// Degrees, counter-clockwise in image coordinates.
    public var rotation: Double { atan2(b, a) * 180 / .pi }

    public func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        (a * x - b * y + tx, b * x + a * y + ty)
    }

    /// Lowe's ratio: a match counts when its nearest descriptor is clearly nearer than the next.
    static let ratio: Float = 0.8
    /// Pixels (in the keypoint frame) within which the transform must carry a match.
    static let tolerance = 3.0
    /// RANSAC stops once it is 99% sure no better transform is left, and after 2,000 samples.
    static let confidence = 0.99
    static let mostSamples = 2_000

    /// The alignment of `first` onto `second`; nil when fewer than `leastInliers` matches pass the
    /// ratio test (no transform is sought) or no transform carries two of them. Deterministic: the
    /// same pair always aligns the same.
    public static func between(
        _ first: ImageKeypoints, _ second: ImageKeypoints, leastInliers: Int
    ) -> KeypointAlignment? {
        let (from, to) = matches(first, second)
        guard from.count >= max(2, leastInliers) else { return nil }
        var generator: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ bound: Int) -> Int {
            generator = generator &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((generator >> 33) % UInt64(bound))
        }
        var best: (count: Int, model: Model)?
        var samples = mostSamples
        var drawn = 0
        while drawn < samples {
            drawn += 1
            let i = random(from.count)
            let j = random(from.count)
            guard i != j, let model = Model(from[i], from[j], to[i], to[j]) else { continue }
            let count = model.carriedCount(from, to)
            guard count > best?.count ?? 0 else { continue }
            best = (count, model)
            let share = Double(count) / Double(from.count)
            if share >= 1 { break }
            samples = min(mostSamples, Int((log(1 - confidence) / log(1 - share * share)).rounded(.up)))
        }
        guard let best, best.count >= 2 else { return nil }
        // Least squares over the inliers (exact for a similarity), kept when it carries as many.
        let carried = best.model.carried(from, to)
        let refined = Model(fitting: carried.map { from[$0] }, carried.map { to[$0] }) ?? best.model
        let refinedCarried = refined.carried(from, to)
        let (final, kept) = refinedCarried.count >= carried.count ? (refined, refinedCarried) : (best.model, carried)
        return KeypointAlignment(
            matches: from.count, inliers: kept.count, a: final.a, b: final.b, tx: final.tx, ty: final.ty,
            carried: kept.map { from[$0] })
    }

    public struct Point: Sendable, Equatable {
        public let x: Double
        public let y: Double
    }

    /// The part of the first image's frame that the second image shows: the second frame mapped
    /// back by the transform, cut to the first (left, top, right, bottom); nil when it is under
    /// half the first frame's width or height (then the second is not a crop of the first).
    public func sharedRegion(
        _ firstFrame: (width: Int, height: Int), _ secondFrame: (width: Int, height: Int)
    ) -> (Double, Double, Double, Double)? {
        // The inverse similarity: p = conj(c) (q - t) / |c|^2, with c = a + ib.
        let norm = a * a + b * b
        guard norm > 0, firstFrame.width > 0, firstFrame.height > 0 else { return nil }
        let (width, height) = (Double(firstFrame.width), Double(firstFrame.height))
        let corners = [
            (0.0, 0.0), (Double(secondFrame.width), 0), (0, Double(secondFrame.height)),
            (Double(secondFrame.width), Double(secondFrame.height)),
        ].map { corner in
            let (dx, dy) = (corner.0 - tx, corner.1 - ty)
            return ((a * dx + b * dy) / norm, (a * dy - b * dx) / norm)
        }
        let left = max(0, corners.map(\.0).min()!)
        let right = min(width, corners.map(\.0).max()!)
        let top = max(0, corners.map(\.1).min()!)
        let bottom = min(height, corners.map(\.1).max()!)
        guard right - left >= width / 2, bottom - top >= height / 2 else { return nil }
        return (left, top, right, bottom)
    }

    /// Of the cells of a 3x3 grid over `region` that hold any of `keypoints` (the first image's),
    /// the share that hold a carried match: near 1 when the match covers the picture, low when
    /// it rests on one part (a background two pictures share).
    public func coverage(
        of keypoints: [Point], in region: (Double, Double, Double, Double)
    ) -> Double {
        let (left, top, right, bottom) = region
        let side = 3
        func cell(_ x: Double, _ y: Double) -> Int? {
            let column = Int(((x - left) / (right - left) * Double(side)).rounded(.down))
            let row = Int(((y - top) / (bottom - top) * Double(side)).rounded(.down))
            return (0..<side).contains(column) && (0..<side).contains(row) ? row * side + column : nil
        }
        let occupied = Set(keypoints.compactMap { cell($0.x, $0.y) })
        let agreeing = Set(carried.compactMap { cell($0.x, $0.y) })
        return occupied.isEmpty ? 0 : Double(agreeing.intersection(occupied).count) / Double(occupied.count)
    }

    /// The pairs of positions whose descriptors pass the ratio test, first image to second.
    static func matches(_ first: ImageKeypoints, _ second: ImageKeypoints) -> ([Point], [Point]) {
        let (firstPositions, secondPositions) = (first.positions, second.positions)
        let (firstDescriptors, secondDescriptors) = (first.descriptors, second.descriptors)
        guard firstPositions.count >= 1, secondPositions.count >= 2 else { return ([], []) }
        var nearest = [Int32](repeating: -1, count: firstPositions.count)
        var distance = [Int32](repeating: 257, count: firstPositions.count)
        var runnerUp = [Int32](repeating: 257, count: firstPositions.count)
        rc_nearest_descriptors(
            firstDescriptors, Int32(firstPositions.count), secondDescriptors, Int32(secondPositions.count),
            &nearest, &distance, &runnerUp)
        var from: [Point] = []
        var to: [Point] = []
        for index in firstPositions.indices
        where nearest[index] >= 0 && Float(distance[index]) < ratio * Float(runnerUp[index]) {
            from.append(firstPositions[index])
            to.append(secondPositions[Int(nearest[index])])
        }
        return (from, to)
    }

    /// A similarity transform: q = c p + t, with c = a + ib as a complex number.
    struct Model {
        let a: Double, b: Double, tx: Double, ty: Double

        /// The transform taking p1 to q1 and p2 to q2; nil when p1 and p2 coincide.
        init?(_ p1: Point, _ p2: Point, _ q1: Point, _ q2: Point) {
            let (px, py) = (p2.x - p1.x, p2.y - p1.y)
            let (qx, qy) = (q2.x - q1.x, q2.y - q1.y)
            let norm = px * px + py * py
            guard norm > 1e-6 else { return nil }
            a = (qx * px + qy * py) / norm
            b = (qy * px - qx * py) / norm
            tx = q1.x - (a * p1.x - b * p1.y)
            ty = q1.y - (b * p1.x + a * p1.y)
        }

        /// The least-squares transform over these pairs (about their centroids).
        init?(fitting from: [Point], _ to: [Point]) {
            guard from.count >= 2 else { return nil }
            let count = Double(from.count)
            let (fx, fy) = (from.reduce(0) { $0 + $1.x } / count, from.reduce(0) { $0 + $1.y } / count)
            let (gx, gy) = (to.reduce(0) { $0 + $1.x } / count, to.reduce(0) { $0 + $1.y } / count)
            var (dot, cross, norm) = (0.0, 0.0, 0.0)
            for (p, q) in zip(from, to) {
                let (px, py, qx, qy) = (p.x - fx, p.y - fy, q.x - gx, q.y - gy)
                dot += qx * px + qy * py
                cross += qy * px - qx * py
                norm += px * px + py * py
            }
            guard norm > 1e-6 else { return nil }
            a = dot / norm
            b = cross / norm
            tx = gx - (a * fx - b * fy)
            ty = gy - (b * fx + a * fy)
        }

        /// Whether this transform takes `p` to within the tolerance of `q`.
        func carries(_ p: Point, to q: Point) -> Bool {
            let (dx, dy) = (a * p.x - b * p.y + tx - q.x, b * p.x + a * p.y + ty - q.y)
            return dx * dx + dy * dy < KeypointAlignment.tolerance * KeypointAlignment.tolerance
        }

        /// How many pairs this transform carries (as `carried`, without the indices: RANSAC's
        /// samples need only the count, and their allocations were a fifth of a near-duplicate
        /// search's time).
        func carriedCount(_ from: [Point], _ to: [Point]) -> Int {
            var count = 0
            for index in from.indices where carries(from[index], to: to[index]) { count += 1 }
            return count
        }

        /// The indices of the pairs this transform carries within the tolerance.
        func carried(_ from: [Point], _ to: [Point]) -> [Int] {
            from.indices.filter { carries(from[$0], to: to[$0]) }
        }
    }
}
