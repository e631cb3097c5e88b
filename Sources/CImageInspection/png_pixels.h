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

#include <libdeflate.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

#if defined(__SSE2__)
inline __m128i load_pixel(const unsigned char *bytes) {
    int32_t value;
    std::memcpy(&value, bytes, 4);
    return _mm_cvtsi32_si128(value);
}

// The Paeth predictor as in unpaeth, on 16-bit lanes.
inline __m128i paeth_nearest(__m128i left, __m128i up, __m128i corner) {
    const __m128i one = _mm_set1_epi16(1);
    const __m128i beyond = _mm_sub_epi16(_mm_add_epi16(_mm_add_epi16(corner, corner), corner), _mm_add_epi16(left, up));
    const __m128i low = _mm_min_epi16(left, up), high = _mm_max_epi16(left, up);
    const __m128i take_high = _mm_cmpgt_epi16(_mm_add_epi16(low, one), beyond);    // beyond <= low
    const __m128i take_low = _mm_cmpgt_epi16(_mm_add_epi16(beyond, one), high);    // high <= beyond
    const __m128i otherwise = _mm_or_si128(_mm_and_si128(take_low, low), _mm_andnot_si128(take_low, corner));
    return _mm_or_si128(_mm_and_si128(take_high, high), _mm_andnot_si128(take_high, otherwise));
}

// Two Paeth rows undone at once, `top` (the row `above` over it) and `bottom` (below `top`), of
// `count` pixels of `Step` (3 or 4) bytes. One pixel follows from the one before it through the
// predictor, so a row is a chain of its latency; here `top` at pixel x and `bottom` at pixel x - 1
// (which needs only `top` up to x - 1) share one register and one chain: scanned pages' RGB rows,
// two thirds of them Paeth, in 0.55 s instead of 1.03 s on the audit bench's tune3 half. Pixels
// are loaded 4 bytes at a time (so a byte past each row must be readable) and stored `Step` bytes
// at a time: a store over the next pixel's first byte would make its load wait.
template <int Step> RC_HOT void unpaeth_pair(unsigned char *top, unsigned char *bottom, const unsigned char *above, size_t count) {
    const __m128i zero = _mm_setzero_si128(), byte_mask = _mm_set1_epi16(0xFF);
    __m128i result = zero;      // [top at x - 1, bottom at x - 2]
    __m128i top_before = zero;  // the result before: top at x - 2 in its lower half
    __m128i above_left = zero;  // above at x - 1
    auto advance = [&](size_t x, bool has_top, bool has_bottom) __attribute__((always_inline)) {
        const __m128i above_here = has_top ? _mm_unpacklo_epi8(load_pixel(above + Step * x), zero) : zero;
        const __m128i top_filtered = has_top ? load_pixel(top + Step * x) : zero;
        const __m128i bottom_filtered = has_bottom ? load_pixel(bottom + Step * (x - 1)) : zero;
        const __m128i filtered = _mm_unpacklo_epi8(_mm_unpacklo_epi32(top_filtered, bottom_filtered), zero);
        const __m128i up = _mm_unpacklo_epi64(above_here, result);            // [above at x, top at x - 1]
        const __m128i corner = _mm_unpacklo_epi64(above_left, top_before);    // [above at x - 1, top at x - 2]
        const __m128i next = _mm_and_si128(_mm_add_epi16(filtered, paeth_nearest(result, up, corner)), byte_mask);
        const __m128i packed = _mm_packus_epi16(next, next);
        if (has_top) {
            const int32_t pixel = _mm_cvtsi128_si32(packed);
            std::memcpy(top + Step * x, &pixel, Step);
        }
        if (has_bottom) {
            const int32_t pixel = _mm_cvtsi128_si32(_mm_srli_si128(packed, 4));
            std::memcpy(bottom + Step * (x - 1), &pixel, Step);
        }
        top_before = result;
        above_left = above_here;
        result = next;
    };
    if (count == 0) return;
    advance(0, true, false);
    for (size_t x = 1; x < count; ++x) advance(x, true, true);
    advance(count, false, true);
}
#endif

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

// Decodes `data` when it is a PNG this path takes, into a malloc'd buffer the caller frees. The
// rows stay where inflating put them: row r starts at 1 + r x `*row_bytes` (each after its filter
// byte), and RGB(A) stays in that order, so no pass moves or reorders the pixels (the caller
// tells OpenCV so). Every chunk's CRC and the stream's Adler-32 are checked. Returns nullptr for
// anything else, or an image of more than `most_pixels` pixels, and OpenCV then decides.
RC_HOT static unsigned char *png_pixels(const unsigned char *data, size_t size, size_t most_pixels, int *width, int *height,
                                 int *channels, size_t *row_bytes) {
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

    // Each row: its filter byte, then its bytes, unfiltered in place. Four bytes more than the rows
    // (zeroed), for unpaeth_pair's loads past the last row's end.
    const size_t length = size_t(columns) * step, filtered_size = (length + 1) * rows;
    unsigned char *pixels = static_cast<unsigned char *>(std::malloc(filtered_size + 4));
    unsigned char *zeros = static_cast<unsigned char *>(std::calloc(length + 4, 1));
    libdeflate_decompressor *inflater = libdeflate_alloc_decompressor();
    size_t inflated = 0;
    bool decoded = pixels != nullptr && zeros != nullptr && inflater != nullptr &&
                   libdeflate_zlib_decompress(inflater, compressed, compressed_size, pixels, filtered_size, &inflated) ==
                       LIBDEFLATE_SUCCESS &&
                   inflated == filtered_size;
    if (decoded) std::memset(pixels + filtered_size, 0, 4);
    for (size_t row = 0; decoded && row < rows; ++row) {
        unsigned char *bytes = pixels + row * (length + 1) + 1;
        const unsigned char *above = row == 0 ? zeros : bytes - (length + 1);
#if defined(__SSE2__)
        if (step > 1 && bytes[-1] == 4 && row + 1 < rows && bytes[length] == 4) {
            if (step == 3) png_pixels_detail::unpaeth_pair<3>(bytes, bytes + length + 1, above, columns);
            else png_pixels_detail::unpaeth_pair<4>(bytes, bytes + length + 1, above, columns);
            ++row;
            continue;
        }
#endif
        decoded = png_pixels_detail::unfilter(bytes[-1], bytes, above, length, step);
    }
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
    *row_bytes = length + 1;
    return pixels;
}

#endif
