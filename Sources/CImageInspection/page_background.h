// A page's local background: the brightest level within 7 pixels (a 15x15 dilation over the
// pixels inside the image), averaged over 15x15 (a box blur, borders reflected as
// BORDER_REFLECT_101). It is what cv::dilate followed by cv::blur give, bit for bit
// (bench/page_background_check.cpp), made in one pass down the rows: the two filters wrote and
// read back three images of the page's size, and took each window's maximum and sum from its 15
// values. Here a window of 15 is read from windows of 2, 4 and 8 (8 + 4 + 2 + 1), so a pixel
// costs a handful of operations, and the rows in flight stay in the cache.
#ifndef RUNCLINIC_PAGE_BACKGROUND_H
#define RUNCLINIC_PAGE_BACKGROUND_H

#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "vector_dispatch.h"

namespace page_background_detail {

constexpr int radius = 7, side = 2 * radius + 1;

// Window maxima of 15 over a row of `count` + 14 values: out[x] = max(in[x .. x + 14]).
// `two`, `four` and `eight` are scratch of the input's size.
template <typename T, typename Combine>
RC_HOT void windows_of_15(const T *in, int count, T *two, T *four, T *eight, T *out, Combine combine) {
    const int length = count + side - 1;
    for (int x = 0; x + 1 < length; ++x) two[x] = combine(in[x], in[x + 1]);
    for (int x = 0; x + 3 < length; ++x) four[x] = combine(two[x], two[x + 2]);
    for (int x = 0; x + 7 < length; ++x) eight[x] = combine(four[x], four[x + 4]);
    for (int x = 0; x < count; ++x) out[x] = combine(combine(eight[x], four[x + 8]), combine(two[x + 12], in[x + 14]));
}

}  // namespace page_background_detail

RC_HOT void page_background(const cv::Mat &grey, cv::Mat &background) {
    using namespace page_background_detail;
    const int rows = grey.rows, columns = grey.cols;
    background.create(rows, columns, CV_8U);
    if (rows == 0 || columns == 0) return;
    const size_t width = size_t(columns), wide = width + side - 1;
    auto larger = [](uint8_t one, uint8_t two) __attribute__((always_inline)) { return std::max(one, two); };
    auto plus = [](uint16_t one, uint16_t two) __attribute__((always_inline)) { return uint16_t(one + two); };

    // Down the rows, the maxima of 2, 4 and 8 rows starting at each row, for the 16 rows in
    // flight (by row number modulo 16; rows past the image's edges repeat its edge rows, which
    // leaves every maximum as it is). Row p's window of 15 rows starts at p - 7.
    constexpr int ring = 16;
    std::vector<uint8_t> two_rows(ring * width), four_rows(ring * width), eight_rows(ring * width);
    auto grey_row = [&](int row) __attribute__((always_inline)) {
        return grey.ptr<uint8_t>(std::clamp(row, 0, rows - 1));
    };
    // Where a row lives in a ring (rows above the image have negative numbers).
    auto slot = [&](int row) __attribute__((always_inline)) { return size_t((row % ring + ring) % ring) * width; };
    auto at = [&](std::vector<uint8_t> &rows_of, int row) __attribute__((always_inline)) {
        return rows_of.data() + slot(row);
    };
    // Once `row` is read: the windows of 2, 4 and 8 rows that end at it.
    auto add_row = [&](int row) __attribute__((always_inline)) {
        const size_t width_here = width;  // a local: stores through bytes could change a captured one
        uint8_t *two = at(two_rows, row - 1), *four = at(four_rows, row - 3), *eight = at(eight_rows, row - 7);
        const uint8_t *previous = grey_row(row - 1), *current = grey_row(row);
        for (size_t x = 0; x < width_here; ++x) two[x] = std::max(previous[x], current[x]);
        const uint8_t *two_before = at(two_rows, row - 3);
        for (size_t x = 0; x < width_here; ++x) four[x] = std::max(two_before[x], two[x]);
        const uint8_t *four_before = at(four_rows, row - 7);
        for (size_t x = 0; x < width_here; ++x) eight[x] = std::max(four_before[x], four[x]);
    };

    std::vector<uint8_t> column_max(wide), two(wide), four(wide), eight(wide), dilated(wide);
    std::vector<uint16_t> dilated_wide(wide), sum_two(wide), sum_four(wide), sum_eight(wide);
    // Horizontal sums of 15 dilated pixels (at most 3,825: 16 bits), by row number modulo 16.
    std::vector<uint16_t> sums(ring * width);
    // Row `row` of the dilation (its window of rows [row - 7, row + 7] read), summed across.
    auto sum_row = [&](int row) __attribute__((always_inline)) {
        const size_t width_here = width;
        uint8_t *maximum = column_max.data() + radius;
        const uint8_t *eights = at(eight_rows, row - radius), *fours = at(four_rows, row + 1),
                      *twos = at(two_rows, row + 5), *last = grey_row(row + radius);
        for (size_t x = 0; x < width_here; ++x) {
            maximum[x] = std::max(std::max(eights[x], fours[x]), std::max(twos[x], last[x]));
        }
        // Past the ends, the end values: a window there holds only values it already holds.
        for (int offset = 1; offset <= radius; ++offset) {
            maximum[-offset] = maximum[0];
            maximum[columns - 1 + offset] = maximum[columns - 1];
        }
        uint8_t *dilated_row = dilated.data() + radius;
        windows_of_15(column_max.data(), columns, two.data(), four.data(), eight.data(), dilated_row, larger);
        // The blur's borders: reflected, the edge pixel itself not repeated.
        uint16_t *reflected = dilated_wide.data() + radius;
        for (size_t x = 0; x < width_here; ++x) reflected[x] = dilated_row[x];
        for (int offset = 1; offset <= radius; ++offset) {
            reflected[-offset] = dilated_row[cv::borderInterpolate(-offset, columns, cv::BORDER_REFLECT_101)];
            reflected[columns - 1 + offset] =
                dilated_row[cv::borderInterpolate(columns - 1 + offset, columns, cv::BORDER_REFLECT_101)];
        }
        windows_of_15(dilated_wide.data(), columns, sum_two.data(), sum_four.data(), sum_eight.data(),
                      sums.data() + slot(row), plus);
    };

    // The blur's vertical sums, slid down the rows: each row's is the one above's, less the row
    // that leaves the window and plus the one that enters (reflected rows included), exact in
    // 16 bits since every true sum is at most 225 x 255.
    auto horizontal = [&](int row) __attribute__((always_inline)) {
        return sums.data() + slot(cv::borderInterpolate(row, rows, cv::BORDER_REFLECT_101));
    };
    int read = -radius - 1;  // the last row whose row windows are made
    int summed = -1;         // the last row whose horizontal sums are in `sums`
    auto sum_through = [&](int last) __attribute__((always_inline)) {
        for (; summed < last; ++summed) {
            for (; read < summed + 1 + radius; ++read) add_row(read + 1);
            sum_row(summed + 1);
        }
    };
    std::vector<uint16_t> vertical(width, 0);
    uint16_t *total = vertical.data();
    const size_t count = width;  // a local the lambdas do not capture, so the loops vectorise
    for (int row = 0; row < rows; ++row) {
        // The window reads rows from 8 above this one (leaving) to 7 below (entering), reflections
        // included: the 16 the ring holds.
        sum_through(std::min(rows - 1, row + radius));
        if (row == 0) {
            for (int offset = -radius; offset <= radius; ++offset) {
                const uint16_t *entering = horizontal(offset);
                for (size_t x = 0; x < count; ++x) total[x] = uint16_t(total[x] + entering[x]);
            }
        } else {
            const uint16_t *leaving = horizontal(row - radius - 1), *entering = horizontal(row + radius);
            for (size_t x = 0; x < count; ++x) total[x] = uint16_t(total[x] - leaving[x] + entering[x]);
        }
        uint8_t *out = background.ptr<uint8_t>(row);
        // The mean of 225, rounded (a sum over 225 is never halfway between two levels); the
        // division as a multiplication, exact for every sum up to 225 x 255 (checked).
        for (size_t x = 0; x < count; ++x) out[x] = uint8_t(((uint32_t(total[x]) + 112) * 37283u) >> 23);
    }
}

#endif
