import CLibPQ
import Foundation

/// A statement on a PostgreSQL connection: parameters are kept as text (bytea as raw bytes) and
/// sent with the statement when it first steps; its rows are read from the whole result.
final class PostgreSQLStatement: DatabaseStatement {
    let sql: String
    /// `sql` in PostgreSQL's spelling ($1 placeholders).
    private let statementText: String
    var ignoresHeldWrites = false
    private unowned let connection: PostgreSQLConnection
    private var parameters: [Parameter]
    private var result: OpaquePointer?
    private var row: Int32 = -1
    private var rowCount: Int32 = 0

    private enum Parameter {
        case null
        case text(String)
        case bytes([UInt8])
    }

    init(connection: PostgreSQLConnection, sql: String) {
        self.connection = connection
        self.sql = sql
        let template = connection.template(for: sql)
        statementText = template.numbered
        parameters = Array(repeating: .null, count: template.parameterCount)
    }

    deinit {
        if let result { connection.libpq.p.clear(result) }
    }

    func reset() {
        rewind()
        for index in parameters.indices { parameters[index] = .null }
    }

    func rewind() {
        if let result { connection.libpq.p.clear(result) }
        result = nil
        row = -1
        rowCount = 0
    }

    private func set(_ parameter: Parameter, at index: Int32) {
        let position = Int(index) - 1
        guard parameters.indices.contains(position) else { return }
        rewind()
        parameters[position] = parameter
    }

    func bind(_ value: Int64, at index: Int32) { set(.text(String(value)), at: index) }
    func bind(_ value: Double, at index: Int32) { set(.text(Self.text(of: value)), at: index) }
    func bind(_ value: String, at index: Int32) { set(.text(value), at: index) }
    func bindNull(at index: Int32) { set(.null, at: index) }

    func bind(_ value: [UInt8]?, at index: Int32) {
        set(value.map { .bytes($0) } ?? .null, at: index)
    }

    /// float8's input spelling: Swift writes the shortest exact digits, and "-0.0" keeps its sign.
    static func text(of value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return value.description
    }

    @discardableResult
    func step() throws(DatabaseError) -> Bool {
        if result == nil {
            if connection.holdsWrites && !ignoresHeldWrites { try connection.writeHeld() }
            try execute()
        }
        row += 1
        return row < rowCount
    }

    private func execute() throws(DatabaseError) {
        try connection.finishPipeline()
        try connection.sendPendingBegin()
        let libpq = connection.libpq
        let handle = connection.handle
        let text = statementText
        let executed: OpaquePointer? = try withParameters { count, values, lengths, formats in
            libpq.p.execParams(handle, text, count, nil, values, lengths, formats, 0)
        }
        do {
            try connection.check(executed, sql: sql)
        } catch {
            if let executed { libpq.p.clear(executed) }
            throw error
        }
        result = executed
        rowCount = executed.map { libpq.p.ntuples($0) } ?? 0
    }

    /// Sends the statement into the connection's pipeline (see `sendPipelined`).
    func sendQueued() throws(DatabaseError) {
        let libpq = connection.libpq
        let handle = connection.handle
        let text = statementText
        let accepted = try withParameters { count, values, lengths, formats in
            libpq.p.sendQueryParams(handle, text, count, nil, values, lengths, formats, 0)
        }
        guard accepted == 1 else { throw connection.failure(sql: sql) }
    }

    /// Calls `body` with libpq's parameter arrays: text NUL-terminated (libpq reads it as a C
    /// string), bytea as raw bytes.
    private func withParameters<T>(
        _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> T
    ) throws(DatabaseError) -> T {
        var buffer: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        var nulls: [Bool] = []
        for parameter in parameters {
            offsets.append(buffer.count)
            switch parameter {
            case .null:
                lengths.append(-1)
                formats.append(0)
                nulls.append(true)
            case .text(let value):
                let bytes = Array(value.utf8)
                if bytes.contains(0) {
                    throw DatabaseError(
                        sqlState: "22021", message: "text holds a NUL character, which PostgreSQL cannot store",
                        sql: sql)
                }
                buffer += bytes
                buffer.append(0)
                lengths.append(Int32(bytes.count))
                formats.append(0)
                nulls.append(false)
            case .bytes(let value):
                buffer += value
                lengths.append(Int32(value.count))
                formats.append(1)
                nulls.append(false)
            }
        }
        let count = Int32(parameters.count)
        return buffer.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress)
            let values: [UnsafePointer<CChar>?] = offsets.enumerated().map { index, offset in
                guard !nulls[index], let base else { return nil }
                return (base + offset).assumingMemoryBound(to: CChar.self)
            }
            return values.withUnsafeBufferPointer { valuePointers in
                lengths.withUnsafeBufferPointer { lengthPointers in
                    formats.withUnsafeBufferPointer { formatPointers in
                        body(count, valuePointers.baseAddress, lengthPointers.baseAddress, formatPointers.baseAddress)
                    }
                }
            }
        }
    }

    private func value(at column: Int32) -> UnsafeMutablePointer<CChar>? {
        guard let result, row >= 0, row < rowCount else { return nil }
        let libpq = connection.libpq
        guard libpq.p.getisnull(result, row, column) == 0 else { return nil }
        return libpq.p.getvalue(result, row, column)
    }

    func isNull(at column: Int32) -> Bool { value(at: column) == nil }

    /// Integers; booleans read as 1 and 0; a numeric (a SUM) rounds toward zero.
    func int64(at column: Int32) -> Int64 {
        guard let pointer = value(at: column) else { return 0 }
        switch pointer.pointee {
        case CChar(UInt8(ascii: "t")): return 1
        case CChar(UInt8(ascii: "f")): return 0
        default:
            var end: UnsafeMutablePointer<CChar>?
            let integer = strtoll(pointer, &end, 10)
            if let end, end.pointee != 0 { return Int64(exactly: strtod(pointer, nil).rounded(.towardZero)) ?? integer }
            return integer
        }
    }

    /// strtod reads PostgreSQL's "NaN", "Infinity" and "-Infinity" as well as digits.
    func double(at column: Int32) -> Double {
        guard let pointer = value(at: column) else { return 0 }
        return strtod(pointer, nil)
    }

    func text(at column: Int32) -> String? {
        value(at: column).map { String(cString: $0) }
    }

    /// bytea arrives in its hex text form, "\x0a1b...".
    func blob(at column: Int32) -> [UInt8]? {
        guard let pointer = value(at: column) else { return nil }
        let length = Int(connection.libpq.p.getlength(result, row, column))
        let text = UnsafeRawBufferPointer(start: pointer, count: length)
        guard length >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x") else { return Array(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((length - 2) / 2)
        var index = 2
        while index + 1 < length {
            bytes.append(Self.nibble(text[index]) << 4 | Self.nibble(text[index + 1]))
            index += 2
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8 {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        default: return character &- UInt8(ascii: "A") &+ 10
        }
    }
}
