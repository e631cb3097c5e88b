import Foundation
import RunclinicJSON

/// Reads a run kept as a table: CSV with a header (PyTorch Lightning's CSVLogger `metrics.csv`,
/// where empty cells mean "not logged at this row") or JSON lines (one object per step). The step
/// and time columns are found by name; every other numeric cell is a point. Config comes from a
/// `hparams.yaml` beside the file (Lightning) or `<stem>.hparams.yaml` (what `export` writes).
struct TabularRunReader {
    enum Layout { case csv, jsonLines }

    let path: String
    let layout: Layout
    let name: String

    /// The step column, by the names trackers and trainers use, first match wins.
    static let stepKeys = ["step", "global_step", "_step", "iteration", "iter", "trainer/global_step"]
    /// Seconds since the epoch.
    static let timeKeys = ["time", "timestamp", "_timestamp", "wall_time"]
    /// Bookkeeping columns that are not metrics. `epoch` is one: trainers log it as a metric, and
    /// what `export` writes must import back whole.
    static let skippedKeys: Set<String> = ["_runtime", "datetime", "date", "created_at"]

    func read() throws -> ImportedRun {
        let bytes = try SourceFile.bytes(path)
        var run = ImportedRun(format: layout == .csv ? .csv : .jsonl, sourcePath: path, sourceRunID: "", name: name)
        let fallbackTime = SourceFile.modificationTime(path) ?? 0
        var sawTime = false
        switch layout {
        case .csv: sawTime = try readCSV(bytes, into: &run, fallbackTime: fallbackTime)
        case .jsonLines: sawTime = try readJSONLines(bytes, into: &run, fallbackTime: fallbackTime)
        }
        if sawTime {
            run.startedAt = run.metrics.times.min()
            run.endedAt = run.metrics.times.max()
        } else {
            // No per-point times (Lightning writes none): the file's last change stands for all.
            run.startedAt = fallbackTime
            run.endedAt = fallbackTime
        }
        run.config = try sidecarConfig()
        return run
    }

    private func readCSV(_ bytes: [UInt8], into run: inout ImportedRun, fallbackTime: Double) throws -> Bool {
        var rows = CSVRows.parse(bytes)[...]
        guard let header = rows.popFirst() else { return false }
        let columns = header.cells.map { $0.trimmingCharacters(in: .whitespaces) }
        let stepColumn = Self.stepKeys.lazy.compactMap { columns.firstIndex(of: $0) }.first
        let timeColumn = Self.timeKeys.lazy.compactMap { columns.firstIndex(of: $0) }.first
        let metricColumns = columns.indices.filter { index in
            index != stepColumn && index != timeColumn && !Self.skippedKeys.contains(columns[index].lowercased())
                && !columns[index].isEmpty
        }
        let keyIndices = metricColumns.map { run.metrics.keyIndex(columns[$0]) }
        for (rowNumber, row) in rows.enumerated() {
            if row.cells.count == 1, row.cells[0].isEmpty { continue }
            guard row.cells.count == columns.count else {
                if !row.isTerminated {
                    run.partial =
                        "the last line (byte \(row.offset)) is cut off (a writer still writing): imported the rows before it"
                    break
                }
                throw EngineError.unreadableSource(
                    ImportSourceError(
                        file: path, offset: row.offset,
                        reason: "row \(rowNumber + 2) has \(row.cells.count) cells, the header has \(columns.count)"))
            }
            var step = Int64(rowNumber)
            if let stepColumn {
                let text = row.cells[stepColumn]
                guard let value = Int64(text) ?? Double(text).flatMap({ Int64(exactly: $0) }) else {
                    if !row.isTerminated {
                        run.partial = "the last line (byte \(row.offset)) is cut off: imported the rows before it"
                        break
                    }
                    throw EngineError.unreadableSource(
                        ImportSourceError(
                            file: path, offset: row.offset,
                            reason: "row \(rowNumber + 2): step \"\(text.prefix(40))\" is not an integer"))
                }
                step = value
            }
            let time = timeColumn.flatMap { Double(row.cells[$0]) } ?? fallbackTime
            for (position, column) in metricColumns.enumerated() {
                guard let value = LoggedNumber.parse(row.cells[column].trimmingCharacters(in: .whitespaces)) else {
                    continue
                }
                run.metrics.append(keyIndex: keyIndices[position], step: step, value: value, time: time)
            }
        }
        return timeColumn != nil
    }

    private func readJSONLines(_ bytes: [UInt8], into run: inout ImportedRun, fallbackTime: Double) throws -> Bool {
        var sawTime = false
        var lineStart = 0
        var lineNumber = 0
        while lineStart < bytes.count {
            let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n"))
            let lineEnd = newline ?? bytes.count
            defer { lineStart = lineEnd + 1 }
            lineNumber += 1
            let line = bytes[lineStart..<lineEnd]
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
                continue
            }
            let object: JSONObject
            do {
                guard let parsed = try line.withUnsafeBytes({ try JSONParser.parse($0) }).objectValue else {
                    throw EngineError.unreadableSource(
                        ImportSourceError(
                            file: path, offset: lineStart, reason: "line \(lineNumber) is not a JSON object"))
                }
                object = parsed
            } catch let error as JSONParseError {
                if newline == nil {
                    run.partial =
                        "the last line (byte \(lineStart)) is cut off (a writer still writing): imported the lines before it"
                    break
                }
                throw EngineError.unreadableSource(
                    ImportSourceError(
                        file: path, offset: lineStart + error.offset,
                        reason: "line \(lineNumber) is not valid JSON: \(error.reason)"))
            }
            let step = Self.stepKeys.lazy.compactMap { object[$0]?.intValue }.first ?? Int64(lineNumber - 1)
            let loggedTime = Self.timeKeys.lazy.compactMap { object[$0]?.doubleValue }.first
            if loggedTime != nil { sawTime = true }
            let time = loggedTime ?? fallbackTime
            for (key, value) in Self.flattened(object)
            where !Self.stepKeys.contains(key) && !Self.timeKeys.contains(key) && !Self.skippedKeys.contains(key) {
                run.metrics.append(key, step: step, value: value, time: time)
            }
        }
        return sawTime
    }

    /// Numeric members, nested objects as dotted keys; booleans and text are not metrics.
    private static func flattened(_ object: JSONObject, prefix: String = "") -> [(String, Double)] {
        var result: [(String, Double)] = []
        for (key, value) in object {
            switch value {
            case .int(let number): result.append((prefix + key, Double(number)))
            case .double(let number): result.append((prefix + key, number))
            case .literal: result.append((prefix + key, value.doubleValue ?? .nan))
            case .object(let inner): result += flattened(inner, prefix: prefix + key + ".")
            default: break
            }
        }
        return result
    }

    private func sidecarConfig() throws -> JSONValue? {
        // A bare file name ("run.csv") is in the current folder.
        let directory =
            (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        for candidate in ["\(directory)/\(stem).hparams.yaml", "\(directory)/hparams.yaml"]
        where FileManager.default.fileExists(atPath: candidate) {
            return try SourceFile.yaml(candidate)
        }
        return nil
    }
}
