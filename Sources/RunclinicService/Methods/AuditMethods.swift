import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

extension RunclinicService {
    var auditMethods: [MethodHandler] {
        [
            // The handbook's ImageQualityFilter for a data pipeline: which images to train on.
            MethodHandler("audit.filter", positionalParams: ["paths", "thresholds"], execution: .concurrent) { params, context in
                try params.rejectUnknown(allowed: ["paths", "thresholds"], method: "audit.filter")
                guard let paths = try params.optionalStringArray("paths") else {
                    throw ResponseError.invalidParams(field: "paths", "is required")
                }
                let check = ImageQualityCheck(thresholds: try Self.thresholds(try params.optionalObject("thresholds")))
                let progress = context.beginProgress(params, title: "Checking images")
                defer { progress?.end() }
                var accepted: [JSONValue] = []
                var rejected: [JSONValue] = []
                for (index, path) in paths.enumerated() {
                    try context.cancellation.checkCancellation()
                    let findings = check.findings(path: path)
                    if findings.contains(where: { $0.severity >= .warning }) {
                        rejected.append(["path": .string(path), "reasons": .array(findings.map(\.json))])
                    } else {
                        accepted.append(.string(path))
                    }
                    if index % 64 == 63 { progress?.report(percentage: (index + 1) * 100 / paths.count) }
                }
                return ["accepted": .array(accepted), "rejected": .array(rejected)]
            },
        ]
    }

    /// `thresholds` param: the keys of ImageQualityThresholds in the YAML's snake case.
    static func thresholds(_ object: JSONObject?) throws(ResponseError) -> ImageQualityThresholds {
        var thresholds = ImageQualityThresholds()
        guard let object else { return thresholds }
        for (key, value) in object {
            let field = "thresholds.\(key)"
            guard let number = value.doubleValue, number.isFinite, number >= 0 else {
                throw Params.mismatch(field, expected: "a non-negative number", got: value)
            }
            switch key {
            case "min_resolution":
                thresholds.minimumWidth = Int(number)
                thresholds.minimumHeight = Int(number)
            case "min_width": thresholds.minimumWidth = Int(number)
            case "min_height": thresholds.minimumHeight = Int(number)
            case "max_pixels": thresholds.maximumPixels = Int(number)
            case "max_aspect_ratio": thresholds.maximumAspectRatio = number
            case "blur_threshold": thresholds.blurThreshold = number
            case "dark_mean": thresholds.darkMean = number
            case "overexposed_mean": thresholds.overexposedMean = number
            case "min_entropy": thresholds.minimumEntropy = number
            case "grayscale_colourfulness": thresholds.grayscaleColourfulness = number
            default:
                throw ResponseError.invalidParams(field: field, "unknown threshold (known: min_resolution, min_width, min_height, max_pixels, max_aspect_ratio, blur_threshold, dark_mean, overexposed_mean, min_entropy, grayscale_colourfulness)")
            }
        }
        return thresholds
    }
}

extension AuditFinding {
    var json: JSONValue {
        [
            "issue": .string(issue.rawValue), "severity": .string(severity.rawValue), "score": JSONValue(score),
            "threshold": JSONValue(threshold), "detail": .string(detail),
        ]
    }
}
