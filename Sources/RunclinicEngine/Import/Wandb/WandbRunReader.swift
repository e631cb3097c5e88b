import RunclinicJSON

/// Reads a wandb offline run (`run-<id>.wandb`): the run record (id, project, name, start, config),
/// config updates, every history row's numeric values with `_step` and `_timestamp` (not the sizes
/// of a logged image or table: `img.width`, `tab.nrows`), the summary (wandb copies each row into
/// it, beside what is set by hand; kept as the run's `summary`, not as points), and the exit
/// record. Field numbers: wandb_internal.proto.
struct WandbRunReader {
    let path: String

    /// A run from its logs, oldest first: a run resumed with the same id (`resume="allow"`) is one
    /// run, its later logs adding steps (a step logged again keeps its last value), config keys
    /// and tags, and ending it.
    static func read(_ files: [String]) throws -> ImportedRun {
        var run = try WandbRunReader(path: files[0]).read()
        for file in files.dropFirst() {
            let next = try WandbRunReader(path: file).read()
            run.metrics.append(contentsOf: next.metrics)
            run.config = merged(run.config, next.config)
            run.summary = merged(run.summary, next.summary)
            run.tags += next.tags.filter { !run.tags.contains($0) }
            run.status = next.status
            run.endedAt = next.endedAt ?? run.endedAt
            run.partial = next.partial ?? run.partial
        }
        return run
    }

    /// A later log's object over an earlier one's, key by key.
    private static func merged(_ earlier: JSONValue?, _ later: JSONValue?) -> JSONValue? {
        guard case .object(let update)? = later else { return earlier }
        var object = earlier?.objectValue ?? JSONObject()
        object.merge(update)
        return .object(object)
    }

    func read() throws -> ImportedRun {
        let bytes = try SourceFile.bytes(path)
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        var state = State(
            run: ImportedRun(
                format: .wandb, sourcePath: path, sourceRunID: Self.runID(fromFileName: fileName), name: ""))
        state.run.metrics.reserveCapacity(bytes.count / 100)
        let tornTail: WandbLogFraming.TornTail?
        do {
            tornTail = try bytes.withUnsafeBytes { buffer in
                try WandbLogFraming.readRecords(buffer) { payload, offset in
                    do {
                        try state.decodeRecord(payload)
                    } catch let error as ProtobufReader.Malformed {
                        throw WandbLogFraming.Failure(
                            offset: offset,
                            reason: "malformed record (\(error.reason) at byte \(error.offset) of the record)")
                    }
                }
            }
        } catch let failure as WandbLogFraming.Failure {
            throw EngineError.unreadableSource(
                ImportSourceError(file: path, offset: failure.offset, reason: failure.reason))
        }
        var run = state.run
        if let tornTail {
            run.partial =
                "the log ends inside a record at byte \(tornTail.offset) of \(tornTail.fileLength) (a run still being written, or a crashed writer): imported the \(run.metrics.count) points before it"
        }
        if run.name.isEmpty { run.name = run.sourceRunID }
        if !state.config.isEmpty { run.config = .object(state.config) }
        if !state.summary.isEmpty { run.summary = .object(state.summary) }
        run.status = state.exitCode.map { $0 == 0 ? .finished : .failed } ?? .running
        if run.status != .running { run.endedAt = state.lastTime }
        if run.startedAt == nil { run.startedAt = state.firstTime }
        return run
    }

    /// `run-<id>.wandb` → `<id>` (the run record's own id replaces it once read).
    private static func runID(fromFileName name: String) -> String {
        var id = Substring(name)
        if id.hasPrefix("run-") { id = id.dropFirst(4) }
        if id.hasSuffix(".wandb") { id = id.dropLast(6) }
        return String(id)
    }

    private struct State {
        var run: ImportedRun
        var config = JSONObject()
        /// Summary updates in file order (wandb copies each row there, and what is set by hand).
        var summary = JSONObject()
        var exitCode: Int64?
        var firstTime: Double?
        var lastTime: Double?
        /// One history row's values, before its step and time are known.
        var row: [(key: String, value: Double)] = []
        /// The row's media and tables (`img._type` = "image-file"): their sizes are not metrics.
        var objectPrefixes: [String] = []

        mutating func decodeRecord(_ payload: UnsafeRawBufferPointer) throws {
            var reader = ProtobufReader(payload)
            while let field = try reader.nextField() {
                switch (field.number, field.wireType) {
                case (2, .lengthDelimited): try decodeHistory(try reader.message())
                case (3, .lengthDelimited): try decodeSummary(try reader.message())
                case (5, .lengthDelimited): try decodeConfig(try reader.message())
                case (17, .lengthDelimited): try decodeRun(try reader.message())
                case (18, .lengthDelimited):
                    var exit = try reader.message()
                    var code: Int64 = 0
                    while let exitField = try exit.nextField() {
                        if exitField.number == 1, exitField.wireType == .varint {
                            code = Int64(Int32(truncatingIfNeeded: try exit.int64()))
                        } else {
                            try exit.skip(exitField.wireType)
                        }
                    }
                    exitCode = code
                default: try reader.skip(field.wireType)
                }
            }
        }

        mutating func decodeHistory(_ message: ProtobufReader) throws {
            var reader = message
            row.removeAll(keepingCapacity: true)
            objectPrefixes.removeAll(keepingCapacity: true)
            var step: Int64?
            var loggedStep: Int64?
            var time: Double?
            while let field = try reader.nextField() {
                switch (field.number, field.wireType) {
                case (1, .lengthDelimited):
                    let item = try HistoryItem(try reader.message())
                    if item.key.hasSuffix("._type") { objectPrefixes.append(String(item.key.dropLast(5))) }
                    guard let value = item.value else { continue }
                    if item.key.hasPrefix("_") {
                        if item.key == "_step" {
                            loggedStep = Int64(exactly: value.rounded(.towardZero))
                        } else if item.key == "_timestamp" {
                            time = value
                        }
                        continue
                    }
                    row.append((item.key, value))
                case (2, .lengthDelimited):
                    var stepMessage = try reader.message()
                    step = 0  // present but empty: step 0 (proto3 omits defaults)
                    while let stepField = try stepMessage.nextField() {
                        if stepField.number == 1, stepField.wireType == .varint {
                            step = try stepMessage.int64()
                        } else {
                            try stepMessage.skip(stepField.wireType)
                        }
                    }
                default:
                    try reader.skip(field.wireType)
                }
            }
            let rowStep = step ?? loggedStep ?? Int64(run.metrics.count)
            let rowTime = time ?? lastTime ?? 0
            if let time {
                if firstTime == nil { firstTime = time }
                lastTime = time
            }
            for (key, value) in row where objectPrefixes.isEmpty || !objectPrefixes.contains(where: key.hasPrefix) {
                run.metrics.append(key, step: rowStep, value: value, time: rowTime)
            }
        }

        mutating func decodeConfig(_ message: ProtobufReader) throws {
            var reader = message
            while let field = try reader.nextField() {
                switch (field.number, field.wireType) {
                case (1, .lengthDelimited):
                    let item = try HistoryItem(try reader.message(), wantsJSON: true)
                    guard item.key != "_wandb", let json = item.json else { continue }
                    config[item.key] = json
                case (2, .lengthDelimited):
                    let item = try HistoryItem(try reader.message(), wantsJSON: true)
                    config[item.key] = nil
                default:
                    try reader.skip(field.wireType)
                }
            }
        }

        /// SummaryRecord: updates (1) and removals (2) of SummaryItems; wandb's own keys (`_wandb`,
        /// `_runtime`, `_step`, `_timestamp`) are bookkeeping.
        mutating func decodeSummary(_ message: ProtobufReader) throws {
            var reader = message
            while let field = try reader.nextField() {
                switch (field.number, field.wireType) {
                case (1, .lengthDelimited):
                    let item = try HistoryItem(try reader.message(), wantsJSON: true)
                    guard !item.key.hasPrefix("_"), let json = item.json else { continue }
                    Self.set(&summary, item.path, to: json)
                case (2, .lengthDelimited):
                    let item = try HistoryItem(try reader.message(), wantsJSON: true)
                    Self.set(&summary, item.path, to: nil)
                default:
                    try reader.skip(field.wireType)
                }
            }
        }

        /// A nested key (a logged image's `img` → `width`) as nested objects, as wandb shows it.
        static func set(_ object: inout JSONObject, _ path: ArraySlice<String>, to value: JSONValue?) {
            guard let first = path.first else { return }
            guard path.count > 1 else {
                object[first] = value
                return
            }
            var inner = object[first]?.objectValue ?? JSONObject()
            set(&inner, path.dropFirst(), to: value)
            object[first] = .object(inner)
        }

        mutating func decodeRun(_ message: ProtobufReader) throws {
            var reader = message
            while let field = try reader.nextField() {
                switch (field.number, field.wireType) {
                case (1, .lengthDelimited):
                    let id = try reader.string()
                    if !id.isEmpty { run.sourceRunID = id }
                case (3, .lengthDelimited): run.project = try reader.string()
                case (4, .lengthDelimited): try decodeConfig(try reader.message())
                case (8, .lengthDelimited): run.name = try reader.string()
                case (10, .lengthDelimited): run.tags.append(try reader.string())
                case (17, .lengthDelimited):
                    var timestamp = try reader.message()
                    var seconds: Int64 = 0
                    var nanos: Int64 = 0
                    while let timeField = try timestamp.nextField() {
                        switch (timeField.number, timeField.wireType) {
                        case (1, .varint): seconds = try timestamp.int64()
                        case (2, .varint): nanos = Int64(Int32(truncatingIfNeeded: try timestamp.int64()))
                        default: try timestamp.skip(timeField.wireType)
                        }
                    }
                    run.startedAt = Double(seconds) + Double(nanos) / 1e9
                default:
                    try reader.skip(field.wireType)
                }
            }
            if run.project?.isEmpty == true { run.project = nil }
        }
    }

    /// A HistoryItem / ConfigItem / SummaryItem: a name and a value, as `value_json` text or (the
    /// newer typed encoding) one of none, boolean, integer (sint64), number, text, json.
    private struct HistoryItem {
        var key = ""
        /// The key's parts: `nested_key`, or the key alone.
        var path: ArraySlice<String> = []
        var value: Double?
        var json: JSONValue?

        init(_ message: ProtobufReader, wantsJSON: Bool = false) throws {
            var reader = message
            var nestedKey: [String] = []
            var typed: Double?
            var typedJSON: JSONValue?
            var valueJSON: Range<Int>?
            while let field = try reader.nextField() {
                switch (field.number, field.wireType) {
                case (1, .lengthDelimited): key = try reader.string()
                case (2, .lengthDelimited): nestedKey.append(try reader.string())
                case (16, .lengthDelimited): valueJSON = try reader.lengthDelimited()
                case (3, .varint):
                    _ = try reader.varint()
                    typedJSON = .null
                case (4, .varint): typedJSON = .bool(try reader.varint() != 0)
                case (5, .varint):
                    let integer = try reader.zigZagInt64()
                    typed = Double(integer)
                    typedJSON = .int(integer)
                case (6, .fixed64):
                    let number = try reader.double()
                    typed = number
                    typedJSON = .double(number)
                case (7, .lengthDelimited): typedJSON = .string(try reader.string())
                case (8, .lengthDelimited):
                    let range = try reader.lengthDelimited()
                    typedJSON = try? JSONParser.parse(reader.slice(range))
                default:
                    try reader.skip(field.wireType)
                }
            }
            if key.isEmpty { key = nestedKey.joined(separator: ".") }
            path = nestedKey.isEmpty ? [key] : nestedKey[...]
            if let valueJSON {
                let text = reader.slice(valueJSON)
                if wantsJSON {
                    json = try? JSONParser.parse(text)
                } else {
                    // Media, tables and text are objects or strings: a scalar reader skips them.
                    value = LoggedNumber.parse(text)
                }
            } else {
                value = typed
                json = typedJSON
            }
        }
    }
}
