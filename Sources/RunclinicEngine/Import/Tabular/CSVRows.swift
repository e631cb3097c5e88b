/// RFC 4180 rows: commas, double-quoted cells with doubled quotes inside, LF or CRLF line ends.
enum CSVRows {
    struct Row {
        var cells: [String]
        /// Byte offset of the row's start, for errors.
        var offset: Int
        /// False for a last line with no line end: a writer may still be writing it.
        var isTerminated: Bool
    }

    static func parse(_ bytes: [UInt8]) -> [Row] {
        var rows: [Row] = []
        var cells: [String] = []
        var cell: [UInt8] = []
        var quoted = false
        var rowStart = 0
        var index = 0
        let quote = UInt8(ascii: "\"")
        let comma = UInt8(ascii: ",")
        let newline = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        func endCell() {
            if cell.last == carriageReturn { cell.removeLast() }
            cells.append(String(decoding: cell, as: UTF8.self))
            cell.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == quote {
                    if index < bytes.count, bytes[index] == quote {
                        cell.append(quote)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(byte)
                }
                continue
            }
            switch byte {
            case quote where cell.isEmpty: quoted = true
            case comma: endCell()
            case newline:
                endCell()
                rows.append(Row(cells: cells, offset: rowStart, isTerminated: true))
                cells = []
                rowStart = index
            default: cell.append(byte)
            }
        }
        if rowStart < bytes.count {
            endCell()
            rows.append(Row(cells: cells, offset: rowStart, isTerminated: false))
        }
        return rows
    }
}
