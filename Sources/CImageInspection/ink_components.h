// The connected components (8-connectivity) of a binary image, from its runs: what
// cv::connectedComponentsWithStats gives, the same statistics in the same label order, without
// writing a label per pixel. Ink covers a few percent of a page, so its runs are few: a page's
// marks were found in a third of the time, and the 4-byte label image (3 MB at 1,024 px) was
// the largest buffer an image's measures went through.
#ifndef RUNCLINIC_INK_COMPONENTS_H
#define RUNCLINIC_INK_COMPONENTS_H

#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <utility>
#include <vector>

#include "vector_dispatch.h"

namespace ink_components_detail {

struct Run {
    int row, start, end;  // [start, end) on `row`
};

inline int root_of(std::vector<int> &parent, int run) {
    while (parent[run] != run) {
        parent[run] = parent[parent[run]];
        run = parent[run];
    }
    return run;
}

// Whether an 8-byte word holds a zero byte (the classic bit trick).
inline bool has_zero_byte(uint64_t word) { return ((word - 0x0101010101010101ull) & ~word & 0x8080808080808080ull) != 0; }

// The runs of nonzero pixels of one row, appended to `runs`.
RC_HOT void row_runs(const uint8_t *pixels, int columns, int row, std::vector<Run> &runs) {
    int x = 0;
    while (x < columns) {
        // Skip background eight pixels at a time.
        while (x + 8 <= columns) {
            uint64_t word;
            std::memcpy(&word, pixels + x, 8);
            if (word != 0) break;
            x += 8;
        }
        while (x < columns && pixels[x] == 0) ++x;
        if (x >= columns) break;
        const int start = x;
        while (x + 8 <= columns) {
            uint64_t word;
            std::memcpy(&word, pixels + x, 8);
            if (has_zero_byte(word)) break;
            x += 8;
        }
        while (x < columns && pixels[x] != 0) ++x;
        runs.push_back({row, start, x});
    }
}

}  // namespace ink_components_detail

// The components of the nonzero pixels of a binary image (8-bit), 8-connected: `stats` (count x 5,
// CV_32S: left, top, width, height, area) and `centroids` (count x 2, CV_64F) as
// cv::connectedComponentsWithStats gives them, label 0 being the background (its row is not
// filled: nothing here reads it). Labels follow OpenCV's order, that of each component's first
// 2x2 block in a raster scan of blocks, so the marks come out in the same order. Each run keeps
// its label, to read a choice of components back (each_run).
struct InkComponents {
    cv::Mat stats, centroids;
    int count = 0;  // labels, background included

    RC_HOT explicit InkComponents(const cv::Mat &binary);

    // `visit(row, start, end)` for each run of the labels `keep` marks, [start, end) on `row`.
    template <typename Visit> void each_run(const std::vector<uint8_t> &keep, Visit visit) const {
        for (size_t run = 0; run < runs_.size(); ++run) {
            if (keep[size_t(run_labels_[run])]) visit(runs_[run].row, runs_[run].start, runs_[run].end);
        }
    }

private:
    std::vector<ink_components_detail::Run> runs_;
    std::vector<int> run_labels_;
};

RC_HOT InkComponents::InkComponents(const cv::Mat &binary) {
    using namespace ink_components_detail;
    std::vector<Run> &runs = runs_;
    size_t previous_first = 0, previous_end = 0;
    std::vector<int> parent;
    for (int row = 0; row < binary.rows; ++row) {
        const size_t first = runs.size();
        row_runs(binary.ptr<uint8_t>(row), binary.cols, row, runs);
        parent.resize(runs.size());
        for (size_t run = first; run < runs.size(); ++run) parent[run] = int(run);
        // Join each run to the runs of the row above that touch it, diagonals included.
        size_t above = previous_first;
        for (size_t run = first; run < runs.size(); ++run) {
            while (above < previous_end && runs[above].end < runs[run].start) ++above;
            for (size_t other = above; other < previous_end && runs[other].start <= runs[run].end; ++other) {
                const int one = root_of(parent, int(run)), two = root_of(parent, int(other));
                if (one != two) parent[std::max(one, two)] = std::min(one, two);
            }
        }
        previous_first = first;
        previous_end = runs.size();
    }

    // Each component's first 2x2 block in raster order: the order OpenCV labels them in.
    std::vector<int> component(runs.size());
    std::vector<std::pair<int64_t, int>> firsts;  // (block key, root)
    std::vector<int> slot(runs.size(), -1);
    for (size_t run = 0; run < runs.size(); ++run) {
        const int root = root_of(parent, int(run));
        const int64_t key = (int64_t(runs[run].row >> 1) << 32) | int64_t(runs[run].start >> 1);
        if (slot[size_t(root)] < 0) {
            slot[size_t(root)] = int(firsts.size());
            firsts.push_back({key, root});
        } else {
            auto &first = firsts[size_t(slot[size_t(root)])];
            first.first = std::min(first.first, key);
        }
        component[run] = slot[size_t(root)];
    }
    std::vector<int> order(firsts.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int one, int two) { return firsts[size_t(one)].first < firsts[size_t(two)].first; });
    std::vector<int> label_of(firsts.size());
    for (size_t rank = 0; rank < order.size(); ++rank) label_of[size_t(order[rank])] = int(rank) + 1;

    count = int(firsts.size()) + 1;
    stats.create(count, 5, CV_32S);
    centroids.create(count, 2, CV_64F);
    std::vector<int64_t> left(size_t(count), INT64_MAX), top(size_t(count), INT64_MAX), right(size_t(count), -1),
        bottom(size_t(count), -1), area(size_t(count), 0), sum_x(size_t(count), 0), sum_y(size_t(count), 0);
    run_labels_.resize(runs.size());
    for (size_t run = 0; run < runs.size(); ++run) {
        const Run &r = runs[run];
        const size_t label = size_t(label_of[size_t(component[run])]);
        run_labels_[run] = int(label);
        const int64_t length = r.end - r.start;
        left[label] = std::min<int64_t>(left[label], r.start);
        right[label] = std::max<int64_t>(right[label], r.end - 1);
        top[label] = std::min<int64_t>(top[label], r.row);
        bottom[label] = std::max<int64_t>(bottom[label], r.row);
        area[label] += length;
        sum_x[label] += (int64_t(r.start) + r.end - 1) * length / 2;
        sum_y[label] += int64_t(r.row) * length;
    }
    std::memset(stats.ptr<int>(0), 0, 5 * sizeof(int));
    centroids.at<double>(0, 0) = centroids.at<double>(0, 1) = 0;
    for (int label = 1; label < count; ++label) {
        int *row = stats.ptr<int>(label);
        row[cv::CC_STAT_LEFT] = int(left[size_t(label)]);
        row[cv::CC_STAT_TOP] = int(top[size_t(label)]);
        row[cv::CC_STAT_WIDTH] = int(right[size_t(label)] - left[size_t(label)] + 1);
        row[cv::CC_STAT_HEIGHT] = int(bottom[size_t(label)] - top[size_t(label)] + 1);
        row[cv::CC_STAT_AREA] = int(area[size_t(label)]);
        centroids.at<double>(label, 0) = double(sum_x[size_t(label)]) / double(area[size_t(label)]);
        centroids.at<double>(label, 1) = double(sum_y[size_t(label)]) / double(area[size_t(label)]);
    }
}

#endif
