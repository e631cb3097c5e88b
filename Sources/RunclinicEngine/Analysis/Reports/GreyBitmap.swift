import Foundation

/// A grey thumbnail as an 8-bit BMP file (a palette of 256 greys): every browser shows it, and
/// writing it needs no image library.
enum GreyBitmap {
    static func bmp(_ pixels: [UInt8], width: Int, height: Int) -> [UInt8] {
        let rowBytes = (width + 3) / 4 * 4
        let paletteBytes = 256 * 4
        let offset = 14 + 40 + paletteBytes
        let size = offset + rowBytes * height
        var data: [UInt8] = []
        data.reserveCapacity(size)
        func little(_ value: Int, _ count: Int) {
            for index in 0..<count { data.append(UInt8((value >> (8 * index)) & 0xFF)) }
        }
        data += Array("BM".utf8)
        little(size, 4)
        little(0, 4)
        little(offset, 4)
        little(40, 4)
        little(width, 4)
        little(height, 4)
        little(1, 2)
        little(8, 2)
        little(0, 4)
        little(rowBytes * height, 4)
        little(2835, 4)
        little(2835, 4)
        little(256, 4)
        little(0, 4)
        for level in 0..<256 { data += [UInt8(level), UInt8(level), UInt8(level), 0] }
        for row in (0..<height).reversed() {  // BMP rows run bottom-up
            data += pixels[(row * width)..<((row + 1) * width)]
            data += [UInt8](repeating: 0, count: rowBytes - width)
        }
        return data
    }

    static func dataURI(_ pixels: [UInt8], width: Int, height: Int) -> String {
        "data:image/bmp;base64," + Data(bmp(pixels, width: width, height: height)).base64EncodedString()
    }
}
