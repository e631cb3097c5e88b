// A grey image shrunk as cv::resize's INTER_AREA shrinks it, bit for bit (bench/area_resize_check.cpp),
// at a scale that is not a whole number. OpenCV's general path adds each source pixel's share
// into a row buffer in memory, so the shares of one destination pixel wait on each other's
// stores (about 6 ms for a 4-megapixel page, spread over OpenCV's threads as well). Here each
// destination pixel sums its shares in a register, in the same order, so the floats round alike.
// A whole-number scale keeps OpenCV's own fast path.
#ifndef RUNCLINIC_AREA_RESIZE_H
#define RUNCLINIC_AREA_RESIZE_H

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <vector>

#include "vector_dispatch.h"

namespace area_resize_detail {

// One source pixel's share of a destination pixel.
struct Share {
    int destination;
    int source;
    float alpha;
};

// OpenCV 4.6's computeResizeAreaTab (modules/imgproc/src/resize.cpp), one channel.
inline std::vector<Share> shares(int source_size, int destination_size, double scale) {
    std::vector<Share> table;
    table.reserve(size_t(source_size) * 2);
    for (int destination = 0; destination < destination_size; ++destination) {
        const double first = destination * scale, last = first + scale;
        const double cell = std::min(scale, source_size - first);
        int start = cvCeil(first), end = cvFloor(last);
        end = std::min(end, source_size - 1);
        start = std::min(start, end);
        if (start - first > 1e-3) table.push_back({destination, start - 1, float((start - first) / cell)});
        for (int source = start; source < end; ++source) table.push_back({destination, source, float(1.0 / cell)});
        if (last - end > 1e-3) {
            table.push_back({destination, end, float(std::min(std::min(last - end, 1.), cell) / cell)});
        }
    }
    return table;
}

}  // namespace area_resize_detail

RC_HOT void area_resize_general(const cv::Mat &source, cv::Mat &destination, cv::Size size, double scale) {
    // Products and sums rounded apart (no fused multiply-add), as OpenCV's baseline build has them.
#pragma clang fp contract(off)
    using area_resize_detail::Share;
    const std::vector<Share> across = area_resize_detail::shares(source.cols, size.width, scale);
    const std::vector<Share> down = area_resize_detail::shares(source.rows, size.height, scale);
    // The shares laid out slot by slot: slot s holds each destination column's s-th share. A
    // column with fewer shares is padded with a share of 0, which adds +0 and leaves its sum as it
    // is; so the columns are summed side by side, without a branch.
    const int width = size.width;
    std::vector<int> count(static_cast<size_t>(width), 0);
    for (const Share &share : across) ++count[size_t(share.destination)];
    const int slots = width > 0 ? *std::max_element(count.begin(), count.end()) : 0;
    std::vector<int> sources(size_t(slots) * size_t(width), 0);
    std::vector<float> alphas(size_t(slots) * size_t(width), 0.0f);
    std::fill(count.begin(), count.end(), 0);
    for (const Share &share : across) {
        const size_t slot = size_t(count[size_t(share.destination)]++);
        sources[slot * size_t(width) + size_t(share.destination)] = share.source;
        alphas[slot * size_t(width) + size_t(share.destination)] = share.alpha;
    }
    destination.create(size, CV_8U);
    std::vector<float> row(static_cast<size_t>(width)), sum(static_cast<size_t>(width), 0.0f);
    std::vector<float> levels(static_cast<size_t>(source.cols));  // a source row's levels, as floats
    int summed_row = -1, current = down.empty() ? 0 : down[0].destination;
    for (const Share &step : down) {
        if (step.source != summed_row) {
            const uint8_t *pixels = source.ptr<uint8_t>(step.source);
            float *values = levels.data(), *totals = row.data();
            const int columns = source.cols;
            for (int column = 0; column < columns; ++column) values[column] = float(pixels[column]);
            std::fill(row.begin(), row.end(), 0.0f);
            for (int slot = 0; slot < slots; ++slot) {
                const int *from = sources.data() + size_t(slot) * size_t(width);
                const float *shares = alphas.data() + size_t(slot) * size_t(width);
                for (int column = 0; column < width; ++column) totals[column] += values[from[column]] * shares[column];
            }
            summed_row = step.source;
        }
        const float beta = step.alpha;
        if (step.destination != current) {
            uint8_t *out = destination.ptr<uint8_t>(current);
            for (int column = 0; column < width; ++column) {
                out[column] = cv::saturate_cast<uint8_t>(sum[size_t(column)]);
                sum[size_t(column)] = beta * row[size_t(column)];
            }
            current = step.destination;
        } else {
            for (int column = 0; column < width; ++column) sum[size_t(column)] += beta * row[size_t(column)];
        }
    }
    uint8_t *out = destination.ptr<uint8_t>(current);
    for (int column = 0; column < width; ++column) out[column] = cv::saturate_cast<uint8_t>(sum[size_t(column)]);
}

// cv::resize(grey, small, cv::Size(), factor, factor, cv::INTER_AREA) for a CV_8UC1 image.
inline void area_resize(const cv::Mat &grey, cv::Mat &small, double factor) {
    const cv::Size size(cv::saturate_cast<int>(grey.cols * factor), cv::saturate_cast<int>(grey.rows * factor));
    const double scale = 1. / factor;
    const int whole = cv::saturate_cast<int>(scale);
    if (grey.type() != CV_8UC1 || scale < 1 || std::abs(scale - whole) < DBL_EPSILON || size.width <= 0 ||
        size.height <= 0) {
        cv::resize(grey, small, cv::Size(), factor, factor, cv::INTER_AREA);
        return;
    }
    area_resize_general(grey, small, size, scale);
}

#endif
