import Foundation

/// The per-image checks: the header first (unreadable, truncated, too large, EXIF rotation), then
/// OpenCV's measures (size, aspect ratio, blur, exposure, information, colour, a document's
/// orientation). Images are inspected by an `ImageInspector`; this only judges.
public struct ImageQualityCheck: Sendable {
    public var thresholds: ImageQualityThresholds

    public init(thresholds: ImageQualityThresholds = ImageQualityThresholds()) {
        self.thresholds = thresholds
    }

    /// The findings of an inspection (cheap: a stored inspection is judged again when the
    /// thresholds change, without decoding the image again).
    public func findings(for inspection: ImageInspection) -> [AuditFinding] {
        let path = inspection.path
        if let problem = inspection.unreadable { return [finding(path, .unreadable, .high, problem.score, nil, problem.detail)] }
        guard let header = inspection.header else { return [] }
        var found: [AuditFinding] = []
        if let pixels = header.pixelCount, pixels > thresholds.maximumPixels {
            return [finding(path, .tooLarge, .high, Double(pixels), Double(thresholds.maximumPixels),
                            "the header claims \(header.width!)x\(header.height!) pixels; not decoded")]
        }
        if header.isTruncated {
            found.append(finding(path, .truncated, .high, nil, nil,
                                 header.format == .jpeg ? "no JPEG end-of-image marker: the file is cut off" : "no PNG IEND chunk: the file is cut off"))
        }
        if let orientation = header.exifOrientation, orientation != 1 {
            found.append(finding(path, .exifRotated, .warning, Double(orientation), 1,
                                 "EXIF orientation \(orientation): loaders that ignore EXIF see it rotated or mirrored"))
        }
        guard let measures = inspection.measures else {
            // A cut-off file the decoder gives up on is one problem, reported once: truncated.
            if header.isTruncated { return found }
            let what = header.format == nil ? "not an image" : "the decoder failed"
            return found + [finding(path, .unreadable, .high, nil, nil, "\(what): \(inspection.decodeError ?? "unknown error")")]
        }
        let width = measures.width, height = measures.height
        if width < thresholds.minimumWidth || height < thresholds.minimumHeight {
            found.append(finding(path, .tooSmall, .warning, Double(min(width, height)), Double(min(thresholds.minimumWidth, thresholds.minimumHeight)),
                                 "\(width)x\(height) pixels, under the \(thresholds.minimumWidth)x\(thresholds.minimumHeight) minimum"))
        }
        let aspect = Double(max(width, height)) / Double(max(1, min(width, height)))
        if aspect > thresholds.maximumAspectRatio {
            found.append(finding(path, .oddAspectRatio, .warning, aspect, thresholds.maximumAspectRatio,
                                 "aspect ratio 1:\(aspect.shortDescription)"))
        }
        // Dark: a low mean with half the pixels black, or nothing lighter than dark grey at all.
        let dark = measures.meanBrightness < thresholds.darkMean && (measures.darkFraction >= 0.5 || measures.brightestLevel < 60)
        // Washed out: bright, and nothing darker than light grey left (0.1% of pixels under 200).
        // A white page with text keeps its ink (under 90 on every page of the bench), and a
        // blurred receipt its smeared grey ink (135-190).
        let washedOut = measures.meanBrightness > thresholds.overexposedMean && measures.darkestLevel >= 200
        // Blur and colour can only be judged where some contrast is left.
        let contrast = measures.brightestLevel - measures.darkestLevel
        // Near-uniform: little in the histogram and almost no edges (a page of text has few grey
        // levels but many edges, so it is not).
        if measures.entropy < thresholds.minimumEntropy, measures.edgeDensity < 0.01, !dark, !washedOut {
            found.append(finding(path, .lowInformation, .warning, measures.entropy, thresholds.minimumEntropy,
                                 "histogram entropy \(measures.entropy.shortDescription) bits: almost uniform"))
        } else if contrast >= 40, measures.sharpness < thresholds.blurThreshold {
            // Judged on the sharpest regions, so a sharp subject on a soft background is sharp;
            // not judged without contrast (a flat page, a black frame), which looks like blur.
            found.append(finding(path, .blurry, .warning, measures.sharpness, thresholds.blurThreshold,
                                 "Laplacian variance \(measures.sharpness.shortDescription) in its sharpest regions, at 1,024 px"))
        }
        if dark {
            found.append(finding(path, .dark, .warning, measures.meanBrightness, thresholds.darkMean,
                                 "mean brightness \(measures.meanBrightness.shortDescription), \(Int(measures.darkFraction * 100))% of pixels black"))
        }
        if washedOut {
            found.append(finding(path, .overexposed, .warning, measures.meanBrightness, thresholds.overexposedMean,
                                 "mean brightness \(measures.meanBrightness.shortDescription), nothing darker than \(Int(measures.darkestLevel)) left"))
        }
        found += orientationFindings(path, measures)
        if measures.channels >= 3, contrast >= 40, !dark, !washedOut, measures.colourfulness < thresholds.grayscaleColourfulness {
            found.append(finding(path, .grayscale, .info, measures.colourfulness, thresholds.grayscaleColourfulness,
                                 "a colour file holding a grey image"))
        }
        return found
    }

    /// Documents only: a page turned a quarter, and text lines that lean.
    private func orientationFindings(_ path: String, _ measures: ImageMeasures) -> [AuditFinding] {
        guard let orientation = TextOrientation(measures.textLines) else { return [] }
        var found: [AuditFinding] = []
        let lean = "\(abs(orientation.skew).shortDescription)° \(orientation.skew >= 0 ? "clockwise" : "counter-clockwise")"
        if orientation.sideways {
            found.append(finding(path, .rotated, .warning, 90 + orientation.skew, nil,
                                 "turned a quarter: the text lines run down the page (at \((90 + orientation.skew).shortDescription)°); " +
                                 "whether by 90° or 270° is uncertain"))
        }
        if abs(orientation.skew) > thresholds.maximumRotation {
            found.append(finding(path, .skewed, .warning, abs(orientation.skew), thresholds.maximumRotation,
                                 "text lines lean \(lean), over the \(thresholds.maximumRotation.shortDescription)° limit"))
        }
        return found
    }

    private func finding(_ path: String, _ issue: ImageIssue, _ severity: AnomalySeverity, _ score: Double?, _ threshold: Double?,
                         _ detail: String) -> AuditFinding {
        AuditFinding(path: path, issue: issue, severity: severity, score: score, threshold: threshold, detail: detail)
    }
}
