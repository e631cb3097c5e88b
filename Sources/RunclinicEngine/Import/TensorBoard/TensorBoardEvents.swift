import RunclinicJSON

/// Decodes TensorBoard `Event` protos (tensorflow/core/util/event.proto): scalars written as
/// `simple_value` (float32) or as 0-d tensors of the "scalars" plugin (float, double, half,
/// bfloat16, integers; raw `tensor_content` or typed fields), and hparams plugin session data.
struct TensorBoardEvents {
    var metrics = ImportedMetrics()
    var hyperparameters = JSONObject()
    var firstTime: Double?
    var lastTime: Double?
    /// Tags the "scalars" plugin claimed: TF2 names the plugin on a tag's first event only.
    private var scalarTags: Set<String> = []

    mutating func decodeEvent(_ payload: UnsafeRawBufferPointer) throws(ProtobufReader.Malformed) {
        var reader = ProtobufReader(payload)
        var wallTime = 0.0
        var step: Int64 = 0
        var summary: ProtobufReader?
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, .fixed64): wallTime = try reader.double()
            case (2, .varint): step = try reader.int64()
            case (5, .lengthDelimited): summary = try reader.message()
            default: try reader.skip(field.wireType)
            }
        }
        guard var summary else { return }
        if firstTime == nil || wallTime < firstTime! { firstTime = wallTime }
        if lastTime == nil || wallTime > lastTime! { lastTime = wallTime }
        while let field = try summary.nextField() {
            if field.number == 1, field.wireType == .lengthDelimited {
                try decodeValue(try summary.message(), step: step, time: wallTime)
            } else {
                try summary.skip(field.wireType)
            }
        }
    }

    private mutating func decodeValue(_ message: ProtobufReader, step: Int64, time: Double) throws(ProtobufReader
        .Malformed)
    {
        var reader = message
        var tag = ""
        var simpleValue: Float?
        var tensor: ProtobufReader?
        var pluginName: String?
        var pluginContent: ProtobufReader?
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, .lengthDelimited): tag = try reader.string()
            case (2, .fixed32): simpleValue = try reader.float()
            case (8, .lengthDelimited): tensor = try reader.message()
            case (9, .lengthDelimited):
                var metadata = try reader.message()
                while let metadataField = try metadata.nextField() {
                    guard metadataField.number == 1, metadataField.wireType == .lengthDelimited else {
                        try metadata.skip(metadataField.wireType)
                        continue
                    }
                    var pluginData = try metadata.message()
                    while let pluginField = try pluginData.nextField() {
                        switch (pluginField.number, pluginField.wireType) {
                        case (1, .lengthDelimited): pluginName = try pluginData.string()
                        case (2, .lengthDelimited): pluginContent = try pluginData.message()
                        default: try pluginData.skip(pluginField.wireType)
                        }
                    }
                }
            default:
                try reader.skip(field.wireType)
            }
        }
        if pluginName == "hparams", let pluginContent {
            try decodeHyperparameters(pluginContent)
            return
        }
        if pluginName == "scalars" { scalarTags.insert(tag) }
        if let simpleValue {
            metrics.append(tag, step: step, value: Double(simpleValue), time: time)
        } else if let tensor, scalarTags.contains(tag), let value = try Self.scalar(of: tensor) {
            metrics.append(tag, step: step, value: value, time: time)
        }
    }

    /// HParamsPluginData.session_start_info.hparams: map<string, google.protobuf.Value>.
    private mutating func decodeHyperparameters(_ content: ProtobufReader) throws(ProtobufReader.Malformed) {
        var reader = content
        while let field = try reader.nextField() {
            guard field.number == 3, field.wireType == .lengthDelimited else {
                try reader.skip(field.wireType)
                continue
            }
            var sessionStart = try reader.message()
            while let startField = try sessionStart.nextField() {
                guard startField.number == 1, startField.wireType == .lengthDelimited else {
                    try sessionStart.skip(startField.wireType)
                    continue
                }
                var entry = try sessionStart.message()
                var key = ""
                var value: JSONValue = .null
                while let entryField = try entry.nextField() {
                    switch (entryField.number, entryField.wireType) {
                    case (1, .lengthDelimited): key = try entry.string()
                    case (2, .lengthDelimited): value = try Self.protobufValue(try entry.message())
                    default: try entry.skip(entryField.wireType)
                    }
                }
                hyperparameters[key] = value
            }
        }
    }

    /// google.protobuf.Value; tensorboardX writes numbers (ints too) as doubles.
    private static func protobufValue(_ message: ProtobufReader) throws(ProtobufReader.Malformed) -> JSONValue {
        var reader = message
        var value: JSONValue = .null
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (2, .fixed64):
                let number = try reader.double()
                if let integer = Int64(exactly: number), abs(number) < 9.0e15 {
                    value = .int(integer)
                } else {
                    value = .double(number)
                }
            case (3, .lengthDelimited): value = .string(try reader.string())
            case (4, .varint): value = .bool(try reader.varint() != 0)
            default: try reader.skip(field.wireType)
            }
        }
        return value
    }

    private enum DataType: UInt64 {
        case float = 1
        case double = 2
        case int32 = 3
        case int64 = 9
        case bfloat16 = 14
        case half = 19
    }

    /// The value of a 0-d TensorProto: `tensor_content` decoded by dtype, else the typed field.
    private static func scalar(of message: ProtobufReader) throws(ProtobufReader.Malformed) -> Double? {
        var reader = message
        var dataType: DataType?
        var content: UnsafeRawBufferPointer?
        var typed: Double?
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, .varint): dataType = DataType(rawValue: try reader.varint())
            case (4, .lengthDelimited): content = reader.slice(try reader.lengthDelimited())
            case (5, .lengthDelimited):
                typed = try firstPacked(&reader) { r throws(ProtobufReader.Malformed) in Double(try r.float()) }
            case (5, .fixed32): typed = Double(try reader.float())
            case (6, .lengthDelimited):
                typed = try firstPacked(&reader) { r throws(ProtobufReader.Malformed) in try r.double() }
            case (6, .fixed64): typed = try reader.double()
            case (7, .lengthDelimited):
                typed = try firstPacked(&reader) { r throws(ProtobufReader.Malformed) in
                    Double(Int32(truncatingIfNeeded: try r.varint()))
                }
            case (13, .lengthDelimited):
                let type = dataType
                typed = try firstPacked(&reader) { r throws(ProtobufReader.Malformed) in
                    Self.halfBits(UInt16(truncatingIfNeeded: try r.varint()), as: type)
                }
            case (7, .varint): typed = Double(Int32(truncatingIfNeeded: try reader.int64()))
            case (13, .varint): typed = Self.halfBits(UInt16(truncatingIfNeeded: try reader.varint()), as: dataType)
            case (10, .lengthDelimited):
                typed = try firstPacked(&reader) { r throws(ProtobufReader.Malformed) in Double(try r.int64()) }
            case (10, .varint): typed = Double(try reader.int64())
            default: try reader.skip(field.wireType)
            }
        }
        guard let dataType else { return nil }
        if let content, !content.isEmpty {
            switch dataType {
            case .float where content.count == 4:
                return Double(Float(bitPattern: UInt32(littleEndian: content.loadUnaligned(as: UInt32.self))))
            case .double where content.count == 8:
                return Double(bitPattern: UInt64(littleEndian: content.loadUnaligned(as: UInt64.self)))
            case .int32 where content.count == 4:
                return Double(Int32(littleEndian: content.loadUnaligned(as: Int32.self)))
            case .int64 where content.count == 8:
                return Double(Int64(littleEndian: content.loadUnaligned(as: Int64.self)))
            case .half where content.count == 2, .bfloat16 where content.count == 2:
                return halfBits(UInt16(littleEndian: content.loadUnaligned(as: UInt16.self)), as: dataType)
            default: return nil
            }
        }
        return typed
    }

    /// The first element of a packed repeated field.
    private static func firstPacked(
        _ reader: inout ProtobufReader, _ element: (inout ProtobufReader) throws(ProtobufReader.Malformed) -> Double
    ) throws(ProtobufReader.Malformed) -> Double? {
        var packed = try reader.message()
        guard !packed.isAtEnd else { return nil }
        return try element(&packed)
    }

    /// IEEE half (DT_HALF) or bfloat16 bits, as a double.
    private static func halfBits(_ bits: UInt16, as dataType: DataType?) -> Double {
        if dataType == .bfloat16 { return Double(Float(bitPattern: UInt32(bits) << 16)) }
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let fraction = Double(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
