import Foundation

/// Two thumbnails laid over each other as a crop of one another, without keypoints: a smooth
/// picture (a soft wallpaper, a sky, a defocused scene) keeps a handful of keypoints or none, so
/// a cropped copy of it cannot be aligned by them, yet its 48x48 thumbnail still shows it. The
/// search tries the crops a pipeline makes (up to a seventh of each side cut off, the rest scaled
/// back) over a coarse grid, then refines the two best; the distance is the one
/// `DatasetChecks.alignedThumbnailDistance` measures over the part both show.
enum ThumbnailRegistration {
    /// Shares of the larger picture the smaller shows, tried first (along the side it fills), and
    /// where its window starts, as a fraction of the room left on each axis.
    static let coarseShares: [Double] = [0.86, 0.90, 0.94, 0.98, 1.0]
    static let coarseOffsets: [Double] = [0, 0.25, 0.5, 0.75, 1]
    /// Around each of the best coarse windows: shares 0.01 apart and offsets a sixteenth apart.
    static let fineShares: [Double] = [-0.01, 0, 0.01]
    static let fineOffsets: [Double] = [-0.0625, 0, 0.0625]
    static let refined = 2

    typealias Thumbnail = (bytes: [UInt8], range: Double)

    /// The smallest distance over the crops tried, either picture taken as the crop of the other;
    /// infinite when a thumbnail or frame is malformed.
    static func distance(
        _ first: Thumbnail, frame firstFrame: (width: Int, height: Int), _ second: Thumbnail,
        frame secondFrame: (width: Int, height: Int)
    ) -> Double {
        guard let a = Picture(first, frame: firstFrame), let b = Picture(second, frame: secondFrame) else {
            return .infinity
        }
        return min(bestCrop(of: a, shownBy: b), bestCrop(of: b, shownBy: a))
    }

    /// A thumbnail in its picture's grey levels, with the picture's frame (its aspect).
    struct Picture {
        static let side = 48
        let levels: [Double]
        let width: Double
        let height: Double

        init?(_ thumbnail: Thumbnail, frame: (width: Int, height: Int)) {
            guard thumbnail.bytes.count == Self.side * Self.side, frame.width > 0, frame.height > 0 else { return nil }
            levels = thumbnail.bytes.map { Double($0) * thumbnail.range / 255 }
            width = Double(frame.width)
            height = Double(frame.height)
        }
    }

    /// `shown` as a window of `whole`: the window shows `share` of `whole` along the side it fills
    /// and starts at `offset` of the room left on each axis.
    struct Window {
        let share: Double
        let offsetX: Double
        let offsetY: Double
    }

    static func bestCrop(of whole: Picture, shownBy shown: Picture) -> Double {
        var scratch = Scratch()
        var coarse: [(distance: Double, window: Window)] = []
        for share in coarseShares {
            for offsetY in coarseOffsets {
                for offsetX in coarseOffsets {
                    let window = Window(share: share, offsetX: offsetX, offsetY: offsetY)
                    coarse.append((distance(whole, shown, window, grid: 16, &scratch), window))
                }
            }
        }
        coarse.sort { $0.distance < $1.distance }
        var best = Double.infinity
        for (_, window) in coarse.prefix(refined) {
            for shareStep in fineShares {
                for stepY in fineOffsets {
                    for stepX in fineOffsets {
                        let finer = Window(
                            share: min(1, max(0.85, window.share + shareStep)),
                            offsetX: min(1, max(0, window.offsetX + stepX)),
                            offsetY: min(1, max(0, window.offsetY + stepY)))
                        best = min(best, distance(whole, shown, finer, grid: 32, &scratch))
                    }
                }
            }
        }
        return best
    }

    /// Buffers one search reuses for every window (it tries some 150 per direction).
    struct Scratch {
        var first = [Double](repeating: 0, count: 32 * 32)
        var second = [Double](repeating: 0, count: 32 * 32)
        var taps = [Tap](repeating: Tap(0), count: 4 * 32)
    }

    /// Mean absolute difference of the two pictures, each normalised to zero mean and unit
    /// deviation (one grey level added to it), sampled bilinearly on a `grid` x `grid` lattice
    /// over the part of `whole` the window shows.
    static func distance(_ whole: Picture, _ shown: Picture, _ window: Window, grid: Int, _ scratch: inout Scratch)
        -> Double
    {
        // How much larger `shown` draws `whole`, and which part of `whole` it shows.
        let scale = max(shown.width / (whole.width * window.share), shown.height / (whole.height * window.share))
        let (visibleWidth, visibleHeight) = (shown.width / scale, shown.height / scale)
        let originX = (whole.width - visibleWidth) * window.offsetX
        let originY = (whole.height - visibleHeight) * window.offsetY
        let (left, right) = (max(0, originX), min(whole.width, originX + visibleWidth))
        let (top, bottom) = (max(0, originY), min(whole.height, originY + visibleHeight))
        let side = Double(Picture.side)
        // Bilinear taps per column and per row, for each picture: the lattice is separable.
        for index in 0..<grid {
            let along = (Double(index) + 0.5) / Double(grid)
            let (x, y) = (left + (right - left) * along, top + (bottom - top) * along)
            scratch.taps[index] = Tap(x * side / whole.width - 0.5)
            scratch.taps[grid + index] = Tap(y * side / whole.height - 0.5)
            scratch.taps[2 * grid + index] = Tap(scale * (x - originX) * side / shown.width - 0.5)
            scratch.taps[3 * grid + index] = Tap(scale * (y - originY) * side / shown.height - 0.5)
        }
        let count = grid * grid
        scratch.taps.withUnsafeBufferPointer { taps in
            sample(whole.levels, rows: taps[grid..<(2 * grid)], columns: taps[0..<grid], into: &scratch.first)
            sample(
                shown.levels, rows: taps[(3 * grid)..<(4 * grid)], columns: taps[(2 * grid)..<(3 * grid)],
                into: &scratch.second)
        }
        let (firstMean, firstScale) = normalisation(scratch.first, count: count)
        let (secondMean, secondScale) = normalisation(scratch.second, count: count)
        var sum = 0.0
        for index in 0..<count {
            sum += abs(
                (scratch.first[index] - firstMean) * firstScale - (scratch.second[index] - secondMean) * secondScale)
        }
        return sum / Double(count)
    }

    /// One bilinear tap along an axis of the 48-pixel thumbnail (edges repeated).
    struct Tap {
        let lower: Int
        let upper: Int
        let weight: Double

        init(_ position: Double) {
            let clamped = min(max(position, 0), Double(Picture.side - 1))
            lower = Int(clamped)
            upper = min(lower + 1, Picture.side - 1)
            weight = clamped - Double(lower)
        }
    }

    static func sample(
        _ levels: [Double], rows: Slice<UnsafeBufferPointer<Tap>>, columns: Slice<UnsafeBufferPointer<Tap>>,
        into values: inout [Double]
    ) {
        let side = Picture.side
        var index = 0
        for row in rows {
            let (upperRow, lowerRow) = (row.lower * side, row.upper * side)
            for column in columns {
                func across(_ start: Int) -> Double {
                    levels[start + column.lower] * (1 - column.weight) + levels[start + column.upper] * column.weight
                }
                let (above, below) = (across(upperRow), across(lowerRow))
                values[index] = above * (1 - row.weight) + below * row.weight
                index += 1
            }
        }
    }

    /// The mean of the first `count` values, and one over their deviation plus one grey level.
    static func normalisation(_ values: [Double], count: Int) -> (mean: Double, scale: Double) {
        var sum = 0.0
        for index in 0..<count { sum += values[index] }
        let mean = sum / Double(count)
        var squares = 0.0
        for index in 0..<count { squares += (values[index] - mean) * (values[index] - mean) }
        return (mean, 1 / ((squares / Double(count)).squareRoot() + 1))
    }
}
