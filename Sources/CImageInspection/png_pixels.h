// Decoding the common PNG (8 bits, not interlaced, grey, RGB or RGBA) with libdeflate, for the image
// library and the bench's decode floor alike (bench/decode_floor.cpp). libpng inflates with zlib,
// and PNGs took a third of an audit's CPU on the audit bench; libdeflate inflates the same stream
// in under half the time. Anything else (palettes, 16 bits, interlacing, transparency chunks,
// a damaged file) is left to OpenCV, so what a broken file says does not change.
#ifndef RUNCLINIC_PNG_PIXELS_H
#define RUNCLINIC_PNG_PIXELS_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <libdeflate.h>

#include "vector_dispatch.h"

namespace png_pixels_detail {

inline uint32_t big_endian(const unsigned char *bytes) {
    return (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) | (uint32_t(bytes[2]) << 8) | uint32_t(bytes[3]);
}

// Paeth with the pixel's size known, so that its bytes' chains (each byte depends on the one a
// pixel back) run side by side. The predictor is stb_image's form of it: the same choice as the
// PNG specification's (checked on all 2^24 triples), in half the operations and no branches.
template <size_t Step> RC_HOT void unpaeth(unsigned char *row, const unsigned char *above, size_t length) {
    for (size_t at = 0; at < Step && at < length; ++at) row[at] = uint8_t(row[at] + above[at]);
    for (size_t at = Step; at + Step <= length; at += Step) {
        for (size_t lane = 0; lane < Step; ++lane) {
            const int left = row[at + lane - Step], up = above[at + lane], corner = above[at + lane - Step];
            // The specification's three distances, compared as two thresholds on 3 x corner.
            const int beyond = corner * 3 - (left + up);
            const int low = left < up ? left : up, high = left < up ? up : left;
            const int nearest = beyond <= low ? high : (high <= beyond ? low : corner);
            row[at + lane] = uint8_t(row[at + lane] + nearest);
        }
    }
}

// One row's filter undone in place (`row` holds the filtered bytes; `above` the previous row,
// unfiltered, or zeros). Sub, Average and Paeth depend on the byte a pixel back, so they are serial.
RC_HOT bool unfilter(unsigned char filter, unsigned char *row, const unsigned char *above, size_t length, size_t step) {
    switch (filter) {
    case 0:
        return true;
    case 1:
        for (size_t at = step; at < length; ++at) row[at] = uint8_t(row[at] + row[at - step]);
        return true;
    case 2:
        for (size_t at = 0; at < length; ++at) row[at] = uint8_t(row[at] + above[at]);
        return true;
    case 3:
        for (size_t at = 0; at < step; ++at) row[at] = uint8_t(row[at] + (above[at] >> 1));
        for (size_t at = step; at < length; ++at) row[at] = uint8_t(row[at] + ((row[at - step] + above[at]) >> 1));
        return true;
    case 4:
        if (step == 1) unpaeth<1>(row, above, length);
        if (step == 3) unpaeth<3>(row, above, length);
        if (step == 4) unpaeth<4>(row, above, length);
        return true;
    default:
        return false;
    }
}

}  // namespace png_pixels_detail

// Decodes `data` when it is a PNG this path takes, into a malloc'd buffer the caller frees, as
// OpenCV would: grey stays one channel, RGB becomes BGR and RGBA BGRA. Every chunk's CRC and the
// stream's Adler-32 are checked. Returns nullptr for anything else, or an image of
// more than `most_pixels` pixels, and OpenCV then decides.
RC_HOT static unsigned char *png_pixels(const unsigned char *data, size_t size, size_t most_pixels, int *width, int *height,
                                 int *channels) {
    using png_pixels_detail::big_endian;
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (size < 8 + 25 || std::memcmp(data, signature, 8) != 0 || std::memcmp(data + 12, "IHDR", 4) != 0) return nullptr;
    if (big_endian(data + 8) != 13) return nullptr;
    const uint32_t columns = big_endian(data + 16), rows = big_endian(data + 20);
    const unsigned char depth = data[24], colour_type = data[25], interlace = data[28];
    if (depth != 8 || interlace != 0 || data[26] != 0 || data[27] != 0) return nullptr;
    size_t step = 0;
    if (colour_type == 0) step = 1; else if (colour_type == 2) step = 3; else if (colour_type == 6) step = 4; else return nullptr;
    if (columns == 0 || rows == 0 || columns > (1u << 24) || rows > (1u << 24)) return nullptr;
    if (size_t(columns) * rows > most_pixels) return nullptr;

    // The chunks: every CRC checked, nothing after IEND read, the IDATs' run found. A critical
    // chunk other than the image's own, a transparency chunk, or IDATs not in one run: OpenCV's.
    size_t compressed_size = 0, at = 8, idat_start = 0, idat_end = 0;
    for (bool ended = false; !ended; at += 12 + big_endian(data + at)) {
        if (at + 12 > size) return nullptr;
        const size_t length = big_endian(data + at);
        if (length > size - at - 12) return nullptr;
        const unsigned char *type = data + at + 4;
        if (libdeflate_crc32(0, type, length + 4) != big_endian(data + at + 8 + length)) return nullptr;
        if (std::memcmp(type, "IDAT", 4) == 0) {
            if (idat_end != 0 && idat_end != at) return nullptr;
            if (idat_start == 0) idat_start = at;
            idat_end = at + 12 + length;
            compressed_size += length;
        } else if (std::memcmp(type, "IEND", 4) == 0) {
            ended = true;
        } else if ((at > 8 && type[0] >= 'A' && type[0] <= 'Z') || std::memcmp(type, "tRNS", 4) == 0) {
            return nullptr;
        }
    }
    if (idat_start == 0) return nullptr;
    unsigned char *compressed = static_cast<unsigned char *>(std::malloc(compressed_size + 1));
    if (compressed == nullptr) return nullptr;
    size_t gathered = 0;
    for (at = idat_start; at < idat_end; at += 12 + big_endian(data + at)) {
        std::memcpy(compressed + gathered, data + at + 8, big_endian(data + at));
        gathered += big_endian(data + at);
    }

    // Each row: its filter byte, then its bytes. Rows are unfiltered in place, then each moves
    // down over the filter bytes before it once the row below no longer needs it.
    const size_t length = size_t(columns) * step, filtered_size = (length + 1) * rows;
    unsigned char *pixels = static_cast<unsigned char *>(std::malloc(filtered_size));
    unsigned char *zeros = static_cast<unsigned char *>(std::calloc(length, 1));
    libdeflate_decompressor *inflater = libdeflate_alloc_decompressor();
    size_t inflated = 0;
    bool decoded = pixels != nullptr && zeros != nullptr && inflater != nullptr &&
                   libdeflate_zlib_decompress(inflater, compressed, compressed_size, pixels, filtered_size, &inflated) ==
                       LIBDEFLATE_SUCCESS &&
                   inflated == filtered_size;
    auto settle = [&](size_t row) __attribute__((always_inline)) {
        unsigned char *settled = pixels + row * length;
        std::memmove(settled, pixels + row * (length + 1) + 1, length);
        for (size_t at = 0; step > 1 && at < length; at += step) std::swap(settled[at], settled[at + 2]);
    };
    for (size_t row = 0; decoded && row < rows; ++row) {
        unsigned char *bytes = pixels + row * (length + 1) + 1;
        decoded = png_pixels_detail::unfilter(bytes[-1], bytes, row == 0 ? zeros : bytes - (length + 1), length, step);
        if (decoded && row > 0) settle(row - 1);
    }
    if (decoded) settle(rows - 1);
    if (inflater != nullptr) libdeflate_free_decompressor(inflater);
    std::free(zeros);
    std::free(compressed);
    if (!decoded) {
        std::free(pixels);
        return nullptr;
    }
    *width = int(columns);
    *height = int(rows);
    *channels = int(step);
    return pixels;
}

#endif
