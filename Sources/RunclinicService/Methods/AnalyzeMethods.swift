import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

extension RunclinicService {
    /// The analyzer behind analyze.run and the reports run.finish writes.
    var runAnalyzer: RunAnalyzer {
        RunAnalyzer(
            store: store, monitorDefaults: monitor.defaults, auditThresholds: auditDefaults, inspector: imageInspector)
    }

    var analyzeMethods: [MethodHandler] {
        let analyzer = runAnalyzer
        return [
            MethodHandler("analyze.run", execution: .concurrent) { params, context in
                let reference = try params.runReference()
                let formats = try Self.reportFormats(params)
                let outputDirectory = try params.optionalString("output_dir")
                let progress = context.beginProgress(params, title: "Analysing the run")
                defer { progress?.end() }
                let analysis = try analyzer.analyze(
                    run: reference, dataDirectory: try params.optionalString("data_dir"),
                    metrics: try params.optionalStringArray("metrics"),
                    progress: { message, percentage in progress?.report(message: message, percentage: percentage) },
                    isCancelled: { context.cancellation.isCancelled })
                var reports = JSONObject()
                if let outputDirectory {
                    for (format, path) in try AnalysisReportWriter(directory: outputDirectory, analyzer: analyzer)
                        .write(
                            analysis, formats: formats)
                    {
                        reports[format.rawValue] = .string(path)
                    }
                }
                return [
                    "summary": analysis.summaryJSON, "key_finding": .string(analysis.keyFinding),
                    "anomalies": .array(analysis.anomalies.map(\.json)), "change_points": analysis.changePointsJSON,
                    "root_causes": .array(analysis.explanations.map(\.json)), "primary": analysis.primaryJSON,
                    "reports": .object(reports),
                ]
            },
            MethodHandler("analyze.change_points") { params, _ in
                let values = try Self.series(params, field: "values")
                var search = ChangePointSearch()
                if let model = try params.optionalChoice("model", of: SegmentModel.self) { search.model = model }
                search.penalty = try Self.penalty(params)
                if let shortest = try params.optionalInt("min_segment") {
                    guard shortest >= 1 else {
                        throw ResponseError.invalidParams(field: "min_segment", "must be at least 1, got \(shortest)")
                    }
                    search.minimumSegmentLength = Int(shortest)
                }
                if let name = try params.optionalString("noise") {
                    guard let noise = ChangePointSearch.NoiseEstimate(rawValue: name) else {
                        throw ResponseError.invalidParams(
                            field: "noise", "expected \"whole_series\" or \"differences\", got \"\(name)\"")
                    }
                    search.noise = noise
                }
                if let deviation = try params.optionalDouble("noise_deviation") {
                    guard deviation > 0, deviation.isFinite else {
                        throw ResponseError.invalidParams(
                            field: "noise_deviation", "must be a positive number, got \(deviation)")
                    }
                    search.noiseDeviation = deviation
                }
                var steps: [Int64]? = nil
                if let value = params.value("steps") {
                    guard let elements = value.arrayValue, elements.count == values.count else {
                        throw ResponseError.invalidParams(
                            field: "steps", "expected an array of \(values.count) integers, one per value")
                    }
                    steps = try elements.enumerated().map { index, element in
                        guard let step = element.intValue else {
                            throw Params.mismatch("steps[\(index)]", expected: "an integer", got: element)
                        }
                        return step
                    }
                }
                let spikesAreOutliers: Bool
                switch try params.optionalString("spikes") {
                case nil, "outliers"?: spikesAreOutliers = true
                case "segments"?: spikesAreOutliers = false
                case let other?:
                    throw ResponseError.invalidParams(
                        field: "spikes", "expected \"outliers\" or \"segments\", got \"\(other)\"")
                }
                let (series, filled) = SeriesGaps.filled(values)
                let result = search.run(series)
                var changePoints = result.changePoints
                var spikes: [Range<Int>] = []
                if spikesAreOutliers {
                    (changePoints, spikes) = TrainingCurveRegimes.separatingSpikes(changePoints, in: series)
                }
                var reply: JSONObject = [
                    "change_points": .array(changePoints.map { .int(Int64($0)) }),
                    "spikes": .array(spikes.map { .array([.int(Int64($0.lowerBound)), .int(Int64($0.upperBound))]) }),
                    "model": .string(search.model.rawValue),
                    "penalty": .double(result.penalty),
                    "filled": .int(Int64(filled)),
                ]
                if let steps { reply["steps"] = .array(changePoints.map { .int(steps[$0]) }) }
                if let deviation = result.noiseDeviation { reply["noise_deviation"] = .double(deviation) }
                return .object(reply)
            },
        ]
    }

    /// The `formats` param of a method that writes reports (all formats when absent).
    static func reportFormats(_ params: Params) throws(ResponseError) -> [AnalysisReportWriter.Format] {
        guard let names = try params.optionalStringArray("formats") else { return AnalysisReportWriter.Format.allCases }
        var formats: [AnalysisReportWriter.Format] = []
        for name in names {
            guard let format = AnalysisReportWriter.Format(rawValue: name) else {
                let known = AnalysisReportWriter.Format.allCases.map(\.rawValue).joined(separator: ", ")
                throw ResponseError.invalidParams(field: "formats", "unknown format \"\(name)\" (available: \(known))")
            }
            formats.append(format)
        }
        return formats
    }

    /// A series of numbers; null and NaN are gaps (filled before a search), other types an error.
    static func series(_ params: Params, field: String) throws(ResponseError) -> [Double] {
        let value = try params.required(field)
        guard let elements = value.arrayValue else {
            throw Params.mismatch(field, expected: "an array of numbers", got: value)
        }
        var values: [Double] = []
        values.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            if element.isNull {
                values.append(.nan)
                continue
            }
            guard let number = element.numberValue else {
                throw Params.mismatch("\(field)[\(index)]", expected: "a number or null", got: element)
            }
            values.append(number)
        }
        return values
    }

    static func penalty(_ params: Params) throws(ResponseError) -> ChangePointSearch.Penalty {
        if let scale = try params.optionalDouble("penalty_scale") {
            guard scale > 0, scale.isFinite else {
                throw ResponseError.invalidParams(field: "penalty_scale", "must be a positive number, got \(scale)")
            }
            return .scaled(scale)
        }
        guard let value = params.value("penalty") else { return .modifiedBIC }
        if let number = value.doubleValue {
            guard number >= 0, number.isFinite else {
                throw ResponseError.invalidParams(field: "penalty", "must be a finite number >= 0, got \(number)")
            }
            return .value(number)
        }
        switch value.stringValue {
        case "mbic"?: return .modifiedBIC
        case "bic"?: return .bic
        default: throw Params.mismatch("penalty", expected: "\"mbic\", \"bic\" or a number", got: value)
        }
    }
}
