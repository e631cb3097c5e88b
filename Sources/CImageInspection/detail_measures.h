// How much detail a grey image holds, for the blur check: the Laplacian's sharpness per tile, the
// blur effect (Crete et al. 2007) and the detail kept across scales.
#ifndef RUNCLINIC_DETAIL_MEASURES_H
#define RUNCLINIC_DETAIL_MEASURES_H

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "image_inspection.h"
#include "vector_dispatch.h"

namespace {

// Sharpness per 64x64 tile from one 16-bit Laplacian: the whole image's variance, the 95th
// percentile over tiles with content, and the share of strong edges.
// `content` gets, for each tile (row by row), whether it holds content.
RC_HOT void measure_sharpness(const cv::Mat &grey, rc_image_measures *out, std::vector<uint8_t> *content) {
    if (grey.rows < 3 || grey.cols < 3) return;  // too small to have a Laplacian (and too_small anyway)
    const int tile = 64;
    content->assign(size_t((grey.rows + tile - 1) / tile) * size_t((grey.cols + tile - 1) / tile), 0);
    std::vector<double> tiles, ratios;
    double sum = 0, squares = 0;
    long edges = 0;
    const int last_column = grey.cols - 1;
    for (int top = 0; top < grey.rows; top += tile) {
        for (int left = 0; left < grey.cols; left += tile) {
            const int bottom = std::min(grey.rows, top + tile), right = std::min(grey.cols, left + tile);
            // The Laplacian (4-neighbour, borders reflected as OpenCV's BORDER_REFLECT_101) is
            // computed in the same pass as its statistics; whole numbers per row (a row of 64 fits
            // in 32 bits), so the inner loop vectorises.
            int64_t tile_sum = 0, tile_squares = 0, grey_sum = 0, grey_squares = 0;
            for (int row = top; row < bottom; ++row) {
                const uint8_t *pixels = grey.ptr<uint8_t>(row);
                const uint8_t *above = grey.ptr<uint8_t>(row > 0 ? row - 1 : 1);
                const uint8_t *below = grey.ptr<uint8_t>(row < grey.rows - 1 ? row + 1 : grey.rows - 2);
                int32_t row_sum = 0, row_squares = 0, row_grey = 0, row_grey_squares = 0, row_edges = 0;
                auto add = [&](int column, int32_t value) {
                    const int32_t pixel = pixels[column];
                    row_sum += value;
                    row_squares += value * value;
                    row_edges += uint32_t(value + 24) > 48u;
                    row_grey += pixel;
                    row_grey_squares += pixel * pixel;
                };
                const int first = std::max(left, 1), stop = std::min(right, last_column);
                if (left == 0) add(0, int32_t(above[0]) + below[0] + 2 * pixels[1] - 4 * pixels[0]);
                for (int column = first; column < stop; ++column) {
                    // 16-bit lanes (|value| <= 1020) whose products SSE2 sums pairwise (pmaddwd).
                    const int16_t value = int16_t(above[column] + below[column] + pixels[column - 1] + pixels[column + 1] - 4 * pixels[column]);
                    const int16_t pixel = pixels[column];
                    row_sum += value;
                    row_squares += int32_t(value) * value;
                    row_edges += (value > 24) | (value < -24);
                    row_grey += pixel;
                    row_grey_squares += int32_t(pixel) * pixel;
                }
                if (right == grey.cols) {
                    add(last_column, int32_t(above[last_column]) + below[last_column] + 2 * pixels[last_column - 1] - 4 * pixels[last_column]);
                }
                tile_sum += row_sum;
                tile_squares += row_squares;
                grey_sum += row_grey;
                grey_squares += row_grey_squares;
                edges += row_edges;
            }
            const double count = double(bottom - top) * (right - left);
            sum += double(tile_sum);
            squares += double(tile_squares);
            const double grey_mean = double(grey_sum) / count;
            const double grey_variance = double(grey_squares) / count - grey_mean * grey_mean;
            // A tile with content: not flat paper or sky (grey deviation over 8 levels).
            if (count >= tile * tile / 4 && grey_variance > 64) {
                (*content)[size_t(top / tile) * size_t((grey.cols + tile - 1) / tile) + size_t(left / tile)] = 1;
                const double mean = double(tile_sum) / count;
                tiles.push_back(double(tile_squares) / count - mean * mean);
                ratios.push_back(tiles.back() / grey_variance);
            }
        }
    }
    const double total = std::max(1.0, double(grey.rows) * grey.cols);
    out->laplacian_variance = squares / total - (sum / total) * (sum / total);
    out->edge_density = double(edges) / total;
    if (tiles.empty()) {
        out->sharpness = out->laplacian_variance;
        out->sharpness_ratio = -1;  // no tile with content: not judged
    } else {
        const size_t at = std::min(tiles.size() - 1, size_t(double(tiles.size()) * 0.95));
        std::nth_element(tiles.begin(), tiles.begin() + at, tiles.end());
        out->sharpness = tiles[at];
        std::nth_element(ratios.begin(), ratios.begin() + at, ratios.end());
        out->sharpness_ratio = ratios[at];
    }
}

// Detail in four directions: across, down and both diagonals. Per 64x64 tile with content (as
// measure_sharpness), the mean squared second difference along each (a diagonal's step is sqrt(2)
// pixels, so its differences count a quarter). A camera that moved while its shutter was open
// smears every edge along its path: the detail along the path goes, the detail across it stays,
// in every tile alike. Over the quarter of the tiles that hold the most, the least direction's sum
// over the most's (detail_anisotropy); and the share of all tiles with content whose own least
// direction is that one, at under a quarter of their most (anisotropic_share). -1 when no tile
// has content.
RC_HOT void measure_detail_directions(const cv::Mat &grey, const std::vector<uint8_t> &content,
                                      rc_image_measures *out) {
    out->detail_anisotropy = -1;
    out->anisotropic_share = -1;
    if (grey.rows < 3 || grey.cols < 3) return;
    const int tile = 64, columns = (grey.cols + tile - 1) / tile;
    struct Directions {
        double energy[4];
        double total;
    };
    std::vector<Directions> tiles;
    for (int top = 0; top < grey.rows; top += tile) {
        for (int left = 0; left < grey.cols; left += tile) {
            if (!content[size_t(top / tile) * size_t(columns) + size_t(left / tile)]) continue;
            // Interior pixels only: each difference needs a neighbour on both sides.
            const int first_row = std::max(top, 1), stop_row = std::min(grey.rows - 1, top + tile);
            const int first_column = std::max(left, 1), stop_column = std::min(grey.cols - 1, left + tile);
            if (stop_row <= first_row || stop_column <= first_column) continue;
            int64_t sums[4] = {0, 0, 0, 0};
            for (int row = first_row; row < stop_row; ++row) {
                const uint8_t *pixels = grey.ptr<uint8_t>(row), *above = grey.ptr<uint8_t>(row - 1),
                              *below = grey.ptr<uint8_t>(row + 1);
                // Whole numbers per row (64 squares of at most 510^2 fit in 32 bits), so it vectorises.
                int32_t across = 0, falling = 0, down = 0, rising = 0;
                for (int column = first_column; column < stop_column; ++column) {
                    const int16_t twice = int16_t(2 * pixels[column]);
                    const int16_t d0 = int16_t(pixels[column - 1] + pixels[column + 1] - twice);
                    const int16_t d1 = int16_t(above[column - 1] + below[column + 1] - twice);
                    const int16_t d2 = int16_t(above[column] + below[column] - twice);
                    const int16_t d3 = int16_t(above[column + 1] + below[column - 1] - twice);
                    across += int32_t(d0) * d0;
                    falling += int32_t(d1) * d1;
                    down += int32_t(d2) * d2;
                    rising += int32_t(d3) * d3;
                }
                sums[0] += across;
                sums[1] += falling;
                sums[2] += down;
                sums[3] += rising;
            }
            const double count = double(stop_row - first_row) * (stop_column - first_column);
            Directions directions{{double(sums[0]) / count, double(sums[1]) / (4 * count), double(sums[2]) / count,
                                   double(sums[3]) / (4 * count)},
                                  0};
            directions.total = directions.energy[0] + directions.energy[1] + directions.energy[2] + directions.energy[3];
            tiles.push_back(directions);
        }
    }
    if (tiles.empty()) return;
    std::vector<Directions> richest = tiles;
    const size_t kept = std::max<size_t>(1, richest.size() / 4);
    std::partial_sort(richest.begin(), richest.begin() + kept, richest.end(),
                      [](const Directions &a, const Directions &b) { return a.total > b.total; });
    double energy[4] = {0, 0, 0, 0};
    for (size_t index = 0; index < kept; ++index) {
        for (int direction = 0; direction < 4; ++direction) energy[direction] += richest[index].energy[direction];
    }
    const int weakest = int(std::min_element(energy, energy + 4) - energy);
    const double most = *std::max_element(energy, energy + 4);
    if (most <= 0) return;
    out->detail_anisotropy = energy[weakest] / most;
    size_t along = 0;
    for (const Directions &directions : tiles) {
        const double *own = directions.energy;
        const int own_weakest = int(std::min_element(own, own + 4) - own);
        const double own_most = *std::max_element(own, own + 4);
        along += own_weakest == weakest && own[own_weakest] < 0.25 * own_most;
    }
    out->anisotropic_share = double(along) / double(tiles.size());
}

// Crete et al. 2007, "The blur effect": blur the image again (9 pixels along the direction of the
// differences) and see how much the differences between neighbouring pixels shrink. A sharp image
// loses most of them, a blurred one little. Per 64x64 tile with content (as measure_sharpness),
// the larger of the two directions; the image's score is the 5th percentile, its sharpest tiles.
RC_HOT void measure_blur_effect(const cv::Mat &grey, const std::vector<uint8_t> &content, rc_image_measures *out) {
    out->blur_effect = -1;
    if (grey.rows < 10 || grey.cols < 10) return;
    // Sums of 9 pixels (not means): whole numbers, so the comparison with 9x a difference is exact.
    cv::Mat down, across;
    cv::boxFilter(grey, down, CV_16U, cv::Size(1, 9), cv::Point(-1, -1), false);
    cv::boxFilter(grey, across, CV_16U, cv::Size(9, 1), cv::Point(-1, -1), false);
    const int tile = 64, columns = (grey.cols + tile - 1) / tile;
    std::vector<double> tiles;
    for (int top = 0; top < grey.rows; top += tile) {
        for (int left = 0; left < grey.cols; left += tile) {
            // Only the tiles measure_sharpness found content in (flat paper or sky says nothing).
            if (!content[size_t(top / tile) * size_t(columns) + size_t(left / tile)]) continue;
            const int bottom = std::min(grey.rows, top + tile), right = std::min(grey.cols, left + tile);
            int64_t vertical = 0, vertical_kept = 0, horizontal = 0, horizontal_kept = 0;
            for (int row = top; row < bottom; ++row) {
                const uint8_t *pixels = grey.ptr<uint8_t>(row);
                const uint16_t *sums_across = across.ptr<uint16_t>(row);
                int32_t row_horizontal = 0, row_horizontal_kept = 0;
                for (int column = std::max(left, 1); column < right; ++column) {
                    const int32_t difference = 9 * std::abs(int32_t(pixels[column]) - pixels[column - 1]);
                    const int32_t blurred = std::abs(int32_t(sums_across[column]) - sums_across[column - 1]);
                    row_horizontal += difference;
                    row_horizontal_kept += std::max(0, difference - blurred);
                }
                horizontal += row_horizontal;
                horizontal_kept += row_horizontal_kept;
                if (row == 0) continue;
                const uint8_t *above = grey.ptr<uint8_t>(row - 1);
                const uint16_t *sums = down.ptr<uint16_t>(row), *sums_above = down.ptr<uint16_t>(row - 1);
                int32_t row_vertical = 0, row_vertical_kept = 0;
                for (int column = left; column < right; ++column) {
                    const int32_t difference = 9 * std::abs(int32_t(pixels[column]) - above[column]);
                    const int32_t blurred = std::abs(int32_t(sums[column]) - sums_above[column]);
                    row_vertical += difference;
                    row_vertical_kept += std::max(0, difference - blurred);
                }
                vertical += row_vertical;
                vertical_kept += row_vertical_kept;
            }
            if (vertical <= 0 || horizontal <= 0) continue;
            tiles.push_back(std::max(double(vertical - vertical_kept) / double(vertical),
                                     double(horizontal - horizontal_kept) / double(horizontal)));
        }
    }
    if (tiles.empty()) return;
    const size_t at = size_t(double(tiles.size() - 1) * 0.05);
    std::nth_element(tiles.begin(), tiles.begin() + at, tiles.end());
    out->blur_effect = tiles[at];
}

// Detail kept from a quarter of the scale to half of it (see detail_retention in
// image_inspection.h): natural pictures are alike at every scale, so a sharp one and a soft
// subject in focus keep their detail in proportion; a blur has a size, and takes the scales under
// it. Read at half and a quarter, not at full scale, where JPEG's blocks and noise speak for
// blurred and sharp pictures alike.
RC_HOT void measure_detail_retention(const cv::Mat &grey, const std::vector<uint8_t> &content, rc_image_measures *out) {
    out->detail_retention = -1;
    if (grey.rows < 64 || grey.cols < 64) return;
    // In floating point: rounded to whole levels, a smooth picture's half and quarter would hold
    // little but the rounding, whose Laplacian is the same at every scale.
    cv::Mat fine, half, quarter, half_laplacian, quarter_laplacian;
    grey.convertTo(fine, CV_32F);
    cv::pyrDown(fine, half);
    cv::pyrDown(half, quarter);
    cv::Laplacian(half, half_laplacian, CV_32F, 1);
    cv::Laplacian(quarter, quarter_laplacian, CV_32F, 1);
    auto variance = [](const cv::Mat &laplacian, int left, int top, int side) {
        const int right = std::min(laplacian.cols, left + side), bottom = std::min(laplacian.rows, top + side);
        if (right - left < 2 || bottom - top < 2) return -1.0;
        cv::Scalar mean, deviation;
        cv::meanStdDev(laplacian(cv::Rect(left, top, right - left, bottom - top)), mean, deviation);
        return deviation[0] * deviation[0];
    };
    const int tile = 64, columns = (grey.cols + tile - 1) / tile;
    std::vector<std::pair<double, double>> tiles;  // (variance at a quarter, at half over it)
    for (int top = 0; top < grey.rows; top += tile) {
        for (int left = 0; left < grey.cols; left += tile) {
            if (!content[size_t(top / tile) * size_t(columns) + size_t(left / tile)]) continue;
            const double at_half = variance(half_laplacian, left / 2, top / 2, tile / 2);
            const double at_quarter = variance(quarter_laplacian, left / 4, top / 4, tile / 4);
            if (at_half < 0 || at_quarter < 0) continue;
            tiles.emplace_back(at_quarter, at_half / std::max(at_quarter, 1e-6));
        }
    }
    if (tiles.empty()) return;
    const size_t most = std::max<size_t>(1, tiles.size() / 10);
    std::partial_sort(tiles.begin(), tiles.begin() + most, tiles.end(),
                      [](const auto &a, const auto &b) { return a.first > b.first; });
    std::vector<double> ratios, quarters;
    for (size_t index = 0; index < most; ++index) {
        ratios.push_back(tiles[index].second);
        quarters.push_back(tiles[index].first);
    }
    // Detail at a quarter to keep, above JPEG's noise (a Laplacian variance of 10, a deviation of
    // about 3 grey levels): a picture defocused so far that both scales hold only noise keeps the
    // noise's proportion, whatever it was (0.24-0.6 for photos blurred by 3-11 pixels, with 0.3-3.5
    // left at a quarter; soft subjects in focus keep 50-900 there).
    const size_t lower = (quarters.size() - 1) / 2;
    std::nth_element(quarters.begin(), quarters.begin() + lower, quarters.end());
    if (quarters[lower] < 10) return;
    // The lower median: a small image has few such tiles (two of a 320x240 photo's twenty), and
    // one of them keeping its detail is not enough to speak for the picture.
    const size_t middle = (ratios.size() - 1) / 2;
    std::nth_element(ratios.begin(), ratios.begin() + middle, ratios.end());
    out->detail_retention = ratios[middle];
}

}  // namespace

#endif
