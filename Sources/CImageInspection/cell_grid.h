// Mean levels over a coarse grid of cells, from an image's rows as they come: the difference hash,
// the thumbnail and the colour spread are read from such grids.
#ifndef RUNCLINIC_CELL_GRID_H
#define RUNCLINIC_CELL_GRID_H

#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "vector_dispatch.h"

namespace {

// The mean level of each cell of a columns x rows grid laid over an image, from its rows given in
// order (cv::resize with INTER_AREA to a tiny size takes the slow general path). Each cell row's
// pixels are first added up column by column, a loop over whole rows that vectorises, then over
// each cell's columns once the cell row ends.
class CellGrid {
public:
    CellGrid(int width, int height, int columns, int rows)
        : width_(width), height_(height), columns_(columns), rows_(rows), sums_(size_t(columns) * rows, 0),
          edges_(size_t(columns) + 1), totals_(size_t(width), 0) {
        for (int column = 0; column <= columns; ++column) edges_[size_t(column)] = column * width / columns;
    }

    RC_HOT void add_row(int row, const uint8_t *pixels) {
        const int cell_row = std::min(rows_ - 1, row * rows_ / std::max(1, height_));
        if (cell_row != current_) {
            finish_row();
            current_ = cell_row;
        }
        // The width read once: a store through `total` could change a member, as far as the
        // compiler knows, which would keep the loop from vectorising.
        uint32_t *total = totals_.data();
        const int width = width_;
        for (int x = 0; x < width; ++x) total[x] += pixels[x];
    }

    std::vector<double> means() {
        finish_row();
        std::vector<double> means(sums_.size());
        for (int row = 0; row < rows_; ++row) {
            const int first = (row * height_ + rows_ - 1) / rows_, last = ((row + 1) * height_ + rows_ - 1) / rows_;
            for (int column = 0; column < columns_; ++column) {
                const double count = double(std::max(1, last - first)) *
                                     std::max(1, edges_[size_t(column) + 1] - edges_[size_t(column)]);
                means[size_t(row) * columns_ + column] = double(sums_[size_t(row) * columns_ + column]) / count;
            }
        }
        return means;
    }

private:
    void finish_row() {
        if (current_ < 0) return;
        for (int column = 0; column < columns_; ++column) {
            uint64_t sum = 0;
            for (int x = edges_[size_t(column)]; x < edges_[size_t(column) + 1]; ++x) sum += totals_[size_t(x)];
            sums_[size_t(current_) * columns_ + column] += sum;
        }
        std::fill(totals_.begin(), totals_.end(), 0u);
        current_ = -1;
    }

    int width_, height_, columns_, rows_, current_ = -1;
    std::vector<uint64_t> sums_;
    std::vector<int> edges_;
    std::vector<uint32_t> totals_;
};

// The cell means of a whole grey image (see CellGrid).
RC_HOT std::vector<double> cell_means(const cv::Mat &grey, int columns, int rows) {
    CellGrid grid(grey.cols, grey.rows, columns, rows);
    for (int row = 0; row < grey.rows; ++row) grid.add_row(row, grey.ptr<uint8_t>(row));
    return grid.means();
}

}  // namespace

#endif
