/// One problem found in one image: which, how bad, the measured score and the threshold it crossed.
public struct AuditFinding: Sendable, Equatable {
    public let path: String
    public let issue: ImageIssue
    public let severity: AnomalySeverity
    public let score: Double?
    public let threshold: Double?
    public let detail: String
    /// Duplicates and near-duplicates: the group the image belongs to (its first member's path).
    public var group: String? = nil
}

/// The image problems the audit knows.
public enum ImageIssue: String, Sendable, CaseIterable {
    case unreadable, truncated
    case tooLarge = "too_large"
    case tooSmall = "too_small"
    case oddAspectRatio = "odd_aspect_ratio"
    case blurry, dark, overexposed
    case lowInformation = "low_information"
    case grayscale
    case exifRotated = "exif_rotated"
    case rotated, skewed
    case oddSize = "odd_size"
    case duplicate
    case nearDuplicate = "near_duplicate"

    /// Found by comparing images with each other rather than one image alone.
    static let datasetWide: [ImageIssue] = [.duplicate, .nearDuplicate, .oddSize]
}
