// The one place runclinic calls OpenCV. Every entry point catches every exception: a hostile
// file must come back as an error code, never as a C++ exception crossing into Swift.
#include "image_inspection.h"

#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <dlfcn.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <exception>
#include <utility>
#include <fstream>
#include <malloc.h>
#include <memory>
#include <string>
#include <vector>

#include "area_resize.h"
#include "ink_components.h"
#include "jpeg_bgr.h"
#include "page_background.h"
#include "png_pixels.h"
#include "vector_dispatch.h"

namespace {

// The order of a colour image's channels: OpenCV's and libjpeg's BGR, or a PNG's RGB as stored.
enum class ChannelOrder { bgr, rgb };

// Where blue (0), green (1) or red (2) lies among a pixel's channels.
constexpr int channel_of(int colour, ChannelOrder order) { return order == ChannelOrder::rgb ? 2 - colour : colour; }

void set_error(rc_image_measures *out, int32_t status, const char *message) {
    out->status = status;
    std::strncpy(out->error, message, sizeof(out->error) - 1);
    out->error[sizeof(out->error) - 1] = '\0';
}

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

// 64-bit difference hash: is each cell of a 9x8 grid brighter than its right neighbour?
RC_HOT uint64_t difference_hash(const cv::Mat &grey) {
    const std::vector<double> cells = cell_means(grey, 9, 8);
    uint64_t hash = 0;
    for (int row = 0; row < 8; ++row) {
        for (int column = 0; column < 8; ++column) hash = (hash << 1) | (cells[row * 9 + column] > cells[row * 9 + column + 1] ? 1u : 0u);
    }
    return hash;
}

// The variance of the 4-neighbour Laplacian of a side x side grid of cell means (inner cells) over
// the grid's variance: how much of the picture's layout has edges at that scale (0 when flat).
double coarse_detail(const std::vector<double> &cells, int side) {
    double sum = 0, squares = 0;
    for (const double cell : cells) { sum += cell; squares += cell * cell; }
    const double count = double(cells.size()), variance = squares / count - (sum / count) * (sum / count);
    if (variance < 1e-9) return 0;
    double laplacian_sum = 0, laplacian_squares = 0;
    for (int row = 1; row < side - 1; ++row) {
        for (int column = 1; column < side - 1; ++column) {
            const size_t at = size_t(row) * side + column;
            const double value = cells[at - side] + cells[at + side] + cells[at - 1] + cells[at + 1] - 4 * cells[at];
            laplacian_sum += value;
            laplacian_squares += value * value;
        }
    }
    const double inner = double(side - 2) * (side - 2);
    return std::max(0.0, laplacian_squares / inner - (laplacian_sum / inner) * (laplacian_sum / inner)) / variance;
}

// 48x48 cell means, stretched to the full 0-255 range: a near-blank page's cells differ by a few
// grey levels, which rounding to whole levels would drown (comparisons normalise contrast anyway).
RC_HOT void thumbnail(const cv::Mat &grey, rc_image_measures *out) {
    const std::vector<double> cells = cell_means(grey, 48, 48);
    const auto [lowest, highest] = std::minmax_element(cells.begin(), cells.end());
    const double range = std::max(1e-9, *highest - *lowest);
    out->thumbnail_range = *highest - *lowest;
    for (int cell = 0; cell < 48 * 48; ++cell) out->thumbnail[cell] = uint8_t(std::lround((cells[cell] - *lowest) * 255.0 / range));
    out->coarse_detail = coarse_detail(cells, 48);
}

// ORB keypoints of the picture at 320 px on its longer side (see rc_keypoints), at that one scale:
// both copies are brought to the same size first, a smaller one enlarged, so their scales differ
// by what a crop adds (a tenth, which the descriptors bear), not by the files' resolutions (a
// 400 px picture and its copy at 184 px matched at neither's size). On crops of the bench's tune
// half, three pyramid levels found one more pair of 92 and cost twice as much.
void measure_keypoints(const cv::Mat &grey, rc_image_measures *out) {
    const int frame_side = 320;
    // Halved by pyrDown while twice the frame or more (a Gaussian and every other pixel: a fifth
    // of INTER_AREA's cost at other ratios), then bilinear to the frame: down by under 2x, or up.
    cv::Mat frame = grey;
    while (std::max(frame.cols, frame.rows) >= 2 * frame_side) {
        cv::Mat half;
        cv::pyrDown(frame, half);
        frame = half;
    }
    const int longer = std::max(frame.cols, frame.rows);
    if (longer != frame_side) {
        const double factor = double(frame_side) / longer;
        cv::Mat resized;
        cv::resize(frame, resized, cv::Size(std::max(1, int(std::lround(frame.cols * factor))), std::max(1, int(std::lround(frame.rows * factor)))), 0, 0, cv::INTER_LINEAR);
        frame = resized;
    }
    out->keypoints.frame_width = frame.cols;
    out->keypoints.frame_height = frame.rows;
    if (frame.cols < 32 || frame.rows < 32) return;
    const int most = int(sizeof(out->keypoints.descriptors) / 32);
    static thread_local cv::Ptr<cv::ORB> orb = cv::ORB::create(most, 1.2f, 1, 15, 0, 2, cv::ORB::HARRIS_SCORE, 15, 10);
    std::vector<cv::KeyPoint> keypoints;
    cv::Mat descriptors;
    orb->detectAndCompute(frame, cv::noArray(), keypoints, descriptors);
    const int count = std::min({most, int(keypoints.size()), descriptors.rows});
    for (int index = 0; index < count; ++index) {
        out->keypoints.positions[2 * index] = uint16_t(std::lround(std::clamp(keypoints[index].pt.x, 0.0f, 1023.0f) * 64));
        out->keypoints.positions[2 * index + 1] = uint16_t(std::lround(std::clamp(keypoints[index].pt.y, 0.0f, 1023.0f) * 64));
        std::memcpy(out->keypoints.descriptors + 32 * index, descriptors.ptr<uint8_t>(index), 32);
    }
    out->keypoints.count = count;
}

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

void measure_histogram(const cv::Mat &grey, long counts[256], rc_image_measures *out) {
    // Four interleaved histograms: runs of one grey level (paper) would otherwise wait on the
    // same counter at every pixel.
    long partial[4][256] = {{0}};
    for (int row = 0; row < grey.rows; ++row) {
        const uint8_t *pixels = grey.ptr<uint8_t>(row);
        int column = 0;
        for (; column + 4 <= grey.cols; column += 4) {
            ++partial[0][pixels[column]];
            ++partial[1][pixels[column + 1]];
            ++partial[2][pixels[column + 2]];
            ++partial[3][pixels[column + 3]];
        }
        for (; column < grey.cols; ++column) ++partial[0][pixels[column]];
    }
    for (int value = 0; value < 256; ++value) counts[value] = partial[0][value] + partial[1][value] + partial[2][value] + partial[3][value];
    const double total = double(grey.rows) * grey.cols;
    double entropy = 0, sum = 0, dark = 0, bright = 0, seen = 0;
    out->darkest_level = -1;
    out->brightest_level = 255;
    out->highlight_level = 255;
    for (int value = 0; value < 256; ++value) {
        const double count = double(counts[value]);
        sum += count * value;
        if (value < 30) dark += count;
        if (value > 225) bright += count;
        if (count > 0) {
            const double p = count / total;
            entropy -= p * std::log2(p);
        }
        const double before = seen;
        seen += count;
        if (out->darkest_level < 0 && seen >= total * 0.001) out->darkest_level = value;
        if (before < total * 0.99 && seen >= total * 0.99) out->highlight_level = value;
        if (before < total * 0.999 && seen >= total * 0.999) out->brightest_level = value;
    }
    out->mean_brightness = sum / total;
    out->dark_fraction = dark / total;
    out->bright_fraction = bright / total;
    out->clipped_fraction = double(counts[254] + counts[255]) / total;
    out->entropy = entropy;
}

struct Mark {
    float x, y;  // centroid
    int extent;  // the longer side of its box
};

struct TextLines {
    int32_t marks = 0;
    double angle = 0;
    double agreement = 0;
};

// Marks of a character's size and shape among the ink's connected components: dots, accents and
// specks are not characters, and neither are rules, pictures or a table's grain. Size limits are at
// analysis scale; `size` is the marks' median extent.
std::vector<Mark> character_marks(const cv::Mat &stats, const cv::Mat &centroids, int count,
                                  double shrink, double *size) {
    const int minimum_area = std::max(1, int(4 / (shrink * shrink))), minimum_extent = std::max(2, int(3 / shrink));
    const int maximum_extent = int(80 / shrink);
    std::vector<Mark> marks;
    std::vector<int> extents;
    for (int label = 1; label < count; ++label) {
        const int width = stats.at<int>(label, cv::CC_STAT_WIDTH), height = stats.at<int>(label, cv::CC_STAT_HEIGHT);
        const int area = stats.at<int>(label, cv::CC_STAT_AREA);
        if (area < minimum_area || width > maximum_extent || height > maximum_extent || std::max(width, height) < minimum_extent) continue;
        // A sliver four times longer than wide is a rule, a groove or a fibre, not a character.
        if (std::max(width, height) > 4 * std::min(width, height)) continue;
        marks.push_back({float(centroids.at<double>(label, 0)), float(centroids.at<double>(label, 1)), std::max(width, height)});
        extents.push_back(std::max(width, height));
    }
    if (marks.size() < 30) return {};
    std::nth_element(extents.begin(), extents.begin() + extents.size() / 2, extents.end());
    *size = extents[extents.size() / 2];
    std::vector<Mark> characters;
    for (const Mark &mark : marks) {
        if (mark.extent >= 0.5 * *size && mark.extent <= 2.5 * *size) characters.push_back(mark);
    }
    if (characters.size() < 30) return {};
    return characters;
}

// The text-line angle of characters (docstrum, O'Gorman 1993: the nearest neighbour of a
// character lies along its line, so the directions to nearest neighbours peak at the line angle).
TextLines line_direction(std::vector<Mark> characters, double size, int columns_in_pixels, int rows_in_pixels) {
    if (characters.size() < 30) return {};
    if (characters.size() > 4000) {  // enough for the statistics; keeps the cost bounded
        std::vector<Mark> sample;
        const double step = double(characters.size()) / 4000;
        for (double at = 0; at < characters.size(); at += step) sample.push_back(characters[size_t(at)]);
        characters.swap(sample);
    }

    // Nearest neighbour of each character, through a grid of cells 3 characters wide.
    const double cell = std::max(4.0, 3 * size);
    const int columns = int(columns_in_pixels / cell) + 1, rows = int(rows_in_pixels / cell) + 1;
    std::vector<std::vector<int>> grid(size_t(columns) * rows);
    for (size_t index = 0; index < characters.size(); ++index) {
        grid[size_t(int(characters[index].y / cell)) * columns + int(characters[index].x / cell)].push_back(int(index));
    }
    double histogram[180] = {0};
    int pairs = 0;
    for (size_t index = 0; index < characters.size(); ++index) {
        const Mark &mark = characters[index];
        const int cx = int(mark.x / cell), cy = int(mark.y / cell);
        int best = -1;
        double best_distance = cell * cell;
        for (int y = std::max(0, cy - 1); y <= std::min(rows - 1, cy + 1); ++y) {
            for (int x = std::max(0, cx - 1); x <= std::min(columns - 1, cx + 1); ++x) {
                for (int other : grid[size_t(y) * columns + x]) {
                    if (other == int(index)) continue;
                    const double dx = characters[other].x - mark.x, dy = characters[other].y - mark.y;
                    const double distance = dx * dx + dy * dy;
                    if (distance < best_distance && distance > 0.01) { best_distance = distance; best = other; }
                }
            }
        }
        if (best < 0) continue;
        double angle = std::atan2(characters[best].y - mark.y, characters[best].x - mark.x) * 180.0 / M_PI;
        if (angle < 0) angle += 180;
        if (angle >= 180) angle -= 180;
        histogram[int(angle) % 180] += 1;
        ++pairs;
    }
    if (pairs < 30) return {};
    // The peak of the histogram smoothed over +-3 degrees (circular: 0 and 180 are one direction).
    int peak = 0;
    double peak_value = -1;
    for (int bin = 0; bin < 180; ++bin) {
        double value = 0;
        for (int offset = -3; offset <= 3; ++offset) value += histogram[(bin + offset + 180) % 180];
        if (value > peak_value) { peak_value = value; peak = bin; }
    }
    // The mean direction near the peak, on doubled angles so 179 and 1 average to 0.
    double sx = 0, sy = 0, near = 0;
    for (int offset = -12; offset <= 12; ++offset) {
        const int bin = (peak + offset + 180) % 180;
        const double radians = (bin + 0.5) * 2 * M_PI / 180;
        sx += histogram[bin] * std::cos(radians);
        sy += histogram[bin] * std::sin(radians);
        near += histogram[bin];
    }
    double angle = std::atan2(sy, sx) * 180 / M_PI / 2;
    if (angle < 0) angle += 180;
    return {int32_t(characters.size()), angle, near / double(pairs)};
}

// The characters of a document's ink, shrunk `shrink` times from the analysis scale: 0 under 30.
int32_t count_text_marks(const cv::Mat &grey, int threshold, double shrink) {
    cv::Mat ink;
    cv::threshold(grey, ink, threshold, 255, cv::THRESH_BINARY_INV);
    const InkComponents components(ink);
    double size = 0;
    return int32_t(character_marks(components.stats, components.centroids, components.count, shrink, &size).size());
}

// The text lines of a profile (ink per row): runs of rows whose ink passes 4% of the fullest
// row's, as [top, bottom) pairs; none when the fullest row holds under `least_peak`.
std::vector<std::pair<int, int>> ink_bands(const int *ink, int rows, int least_peak) {
    int most = 0;
    for (int row = 0; row < rows; ++row) most = std::max(most, ink[row]);
    std::vector<std::pair<int, int>> bands;
    if (most < least_peak) return bands;
    const int floor = std::max(1, int(0.04 * most));
    for (int row = 0; row < rows;) {
        if (ink[row] <= floor) { ++row; continue; }
        int end = row;
        while (end < rows && ink[end] > floor) ++end;
        bands.emplace_back(row, end);
        row = end;
    }
    return bands;
}

// The characters' ink turned level by `rotation` degrees (counter-clockwise, about the page's
// centre, onto a canvas that holds the whole turned page), kept as profiles: the ink of each of
// its rows, of each row of each strip `strip_width` pixels wide, and where each row's ink starts and
// ends. Each ink pixel is carried to its nearest pixel on the canvas: cv::warpAffine sampled
// every pixel of the canvas, most of them paper, which took a millisecond a page.
struct LevelInk {
    int width = 0, height = 0;
    std::vector<int> rows, first, last;  // first = width and last = -1 on a row without ink
    std::vector<int> strips;             // strip by strip, `height` rows each

    template <typename EachRun>
    LevelInk(int page_width, int page_height, double rotation, int strip_width, EachRun each_run) {
        cv::Mat turn = cv::getRotationMatrix2D(cv::Point2f(page_width / 2.0f, page_height / 2.0f), rotation, 1.0);
        const double cosine = std::abs(turn.at<double>(0, 0)), sine = std::abs(turn.at<double>(0, 1));
        width = int(page_height * sine + page_width * cosine);
        height = int(page_height * cosine + page_width * sine);
        turn.at<double>(0, 2) += width / 2.0 - page_width / 2.0;
        turn.at<double>(1, 2) += height / 2.0 - page_height / 2.0;
        const double *m = turn.ptr<double>(0);
        rows.assign(size_t(height), 0);
        first.assign(size_t(height), width);
        last.assign(size_t(height), -1);
        const int strip_count = (width + strip_width - 1) / strip_width;
        strips.assign(size_t(strip_count) * size_t(height), 0);
        each_run([&](int row, int start, int end) {
            // Along a run, x and y on the canvas grow by the matrix's first column per pixel.
            double x = m[0] * start + m[1] * row + m[2], y = m[3] * start + m[4] * row + m[5];
            for (int column = start; column < end; ++column, x += m[0], y += m[3]) {
                const int across = int(std::floor(x + 0.5)), down = int(std::floor(y + 0.5));
                if (across < 0 || across >= width || down < 0 || down >= height) continue;
                rows[size_t(down)] += 1;
                first[size_t(down)] = std::min(first[size_t(down)], across);
                last[size_t(down)] = std::max(last[size_t(down)], across);
                strips[size_t(across / strip_width) * size_t(height) + size_t(down)] += 1;
            }
        });
    }
};

// Which side of level lines is flush: text is set from the left, so the lines' right ends
// (paragraphs' last lines, code, a ragged right margin) fall short of the right margin more
// than their left ends (indents, centred headings) stand off the left one. Where ascenders say
// little (code in a typewriter face, formulas), this still does. Lines are read across the
// whole width; the margins are the 10th percentile of their starts and the 90th of their ends.
// Returns (mean shortfall at the right - mean stand-off at the left) / the text's width: about
// +0.25 for upright pages of the audit bench, -0.2 upside down; NaN under 8 lines.
double line_alignment(const LevelInk &level) {
    std::vector<int> starts, ends;
    for (const auto &[top, bottom] : ink_bands(level.rows.data(), level.height, 1)) {
        if (bottom - top < 3) continue;
        // The margins, not the text: where the line's first ink starts and its last ends.
        int first = level.width, last = -1;
        for (int row = top; row < bottom; ++row) {
            first = std::min(first, level.first[size_t(row)]);
            last = std::max(last, level.last[size_t(row)]);
        }
        if (first < level.width) {
            starts.push_back(first);
            ends.push_back(last);
        }
    }
    if (starts.size() < 8) return NAN;
    std::vector<int> sorted_starts = starts, sorted_ends = ends;
    std::sort(sorted_starts.begin(), sorted_starts.end());
    std::sort(sorted_ends.begin(), sorted_ends.end());
    const double left = sorted_starts[sorted_starts.size() / 10];
    const double right = sorted_ends[sorted_ends.size() - 1 - sorted_ends.size() / 10];
    if (right - left <= 20) return NAN;
    double stand_off = 0, shortfall = 0;
    for (size_t line = 0; line < starts.size(); ++line) {
        stand_off += std::clamp(starts[line] - left, 0.0, right - left);
        shortfall += std::clamp(right - ends[line], 0.0, right - left);
    }
    return (shortfall - stand_off) / (double(starts.size()) * (right - left));
}

// Whether text stands upright once its lines are turned level (see LevelInk): Latin script has
// more ink above its x-height band (ascenders, dots, accents) than below it (descenders), upside
// down the reverse. Lines are read in strips 48 pixels wide, narrow enough that a photographed
// page's perspective does not smear them.
// Returns (ink above the bands - ink below) / all the lines' ink: near 0 for text of capitals
// and digits alone, which is the same either way up; NaN when there are too few lines.
// Also sets `alignment` (see line_alignment).
double upright_score(const LevelInk &level, double *alignment) {
    *alignment = line_alignment(level);
    double above = 0, below = 0, all = 0;
    std::vector<int> line_heights;
    for (size_t strip = 0; strip * size_t(level.height) < level.strips.size(); ++strip) {
        const int *ink = level.strips.data() + strip * size_t(level.height);
        const std::vector<std::pair<int, int>> lines = ink_bands(ink, level.height, 5);
        line_heights.clear();
        for (const auto &[top, bottom] : lines) {
            if (bottom - top >= 3) line_heights.push_back(bottom - top);
        }
        if (line_heights.empty()) continue;
        std::nth_element(line_heights.begin(), line_heights.begin() + line_heights.size() / 2, line_heights.end());
        const double typical = line_heights[line_heights.size() / 2];
        for (const auto &[top, bottom] : lines) {
            // Two lines run together are not one line's bands.
            if (bottom - top < 3 || bottom - top > 1.8 * typical) continue;
            int peak = 0;
            for (int row = top; row < bottom; ++row) peak = std::max(peak, ink[row]);
            int band_top = bottom, band_bottom = top;
            for (int row = top; row < bottom; ++row) {
                if (2 * ink[row] >= peak) { band_top = std::min(band_top, row); band_bottom = row; }
            }
            for (int row = top; row < band_top; ++row) above += ink[row];
            for (int row = band_bottom + 1; row < bottom; ++row) below += ink[row];
            for (int row = top; row < bottom; ++row) all += ink[row];
        }
    }
    // Ink is 1 per pixel: a few lines' worth at least.
    if (all < 500) return NAN;
    return (above - below) / all;
}

// How a page lies, from ink found against its local background: a photographed page lies on a
// table, in uneven light, where one threshold for the whole image splits paper from table rather
// than ink from paper. Ink is what is clearly darker than the brightest nearby paper.
RC_HOT void measure_page_lines(const cv::Mat &grey, rc_image_measures *out) {
    out->page_upright = NAN;
    out->page_alignment = NAN;
    cv::Mat background;
    page_background(grey, background);  // cv::dilate 15x15, then cv::blur 15x15, in one pass
    cv::Mat ink(grey.size(), CV_8U);
    int64_t inked = 0;
    // The sizes are read once: a store through a byte pointer could change them as far as the
    // compiler knows, which kept this loop from vectorising (a fifth of the page lines' CPU).
    const int columns = grey.cols, rows = grey.rows;
    for (int row = 0; row < rows; ++row) {
        const uint8_t *pixel = grey.ptr<uint8_t>(row), *paper = background.ptr<uint8_t>(row);
        uint8_t *mark = ink.ptr<uint8_t>(row);
        int row_inked = 0;
        for (int column = 0; column < columns; ++column) {
            const int level = paper[column], darker = level - int(pixel[column]);
            const uint8_t inky = uint8_t((level > 90) & (darker > std::max(30, level / 4)));
            mark[column] = inky;
            row_inked += inky;
        }
        inked += row_inked;
    }
    // Pages of the audit bench hold 0.3-28% ink by this test; 37% of its photos fall outside
    // 0.2-35% (flat or dark ones hold none, textured ones far more), and the labelling that
    // follows is most of this function's cost.
    const double ink_share = double(inked) / std::max(1, grey.rows * grey.cols);
    if (ink_share < 0.002 || ink_share > 0.35) return;
    const InkComponents components(ink);
    const cv::Mat &stats = components.stats;
    const int count = components.count;
    double size = 0;
    std::vector<Mark> characters = character_marks(stats, components.centroids, count, 1, &size);
    if (characters.empty()) return;
    // Only marks on the paper: a table's grain is darker than the page lying on it.
    std::vector<int> paper_levels;
    for (const Mark &mark : characters) paper_levels.push_back(background.at<uint8_t>(int(mark.y), int(mark.x)));
    std::nth_element(paper_levels.begin(), paper_levels.begin() + paper_levels.size() / 2, paper_levels.end());
    const double paper = paper_levels[paper_levels.size() / 2];
    std::vector<Mark> on_paper;
    for (const Mark &mark : characters) {
        if (background.at<uint8_t>(int(mark.y), int(mark.x)) >= 0.8 * paper) on_paper.push_back(mark);
    }
    const TextLines lines = line_direction(on_paper, size, grey.cols, grey.rows);
    out->page_marks = lines.marks;
    out->page_line_angle = lines.angle;
    out->page_line_agreement = lines.agreement;
    if (lines.marks < 40 || lines.agreement < 0.5) return;

    // The characters' ink alone (with their dots and accents), for the bands of each line.
    std::vector<uint8_t> keep(size_t(count), 0);
    for (int label = 1; label < count; ++label) {
        const int extent = std::max(stats.at<int>(label, cv::CC_STAT_WIDTH), stats.at<int>(label, cv::CC_STAT_HEIGHT));
        const int x = stats.at<int>(label, cv::CC_STAT_LEFT) + stats.at<int>(label, cv::CC_STAT_WIDTH) / 2;
        const int y = stats.at<int>(label, cv::CC_STAT_TOP) + stats.at<int>(label, cv::CC_STAT_HEIGHT) / 2;
        keep[size_t(label)] = extent <= 2.5 * size && stats.at<int>(label, cv::CC_STAT_AREA) >= 2 &&
                              background.at<uint8_t>(y, x) >= 0.8 * paper;
    }
    // Turn the lines level: across the page by their lean, down the page by a quarter more.
    const double angle = lines.angle;
    const double rotation = angle < 45 ? angle : (angle >= 135 ? angle - 180 : angle);
    const LevelInk level(grey.cols, grey.rows, rotation, 48,
                         [&](auto visit) { components.each_run(keep, visit); });
    out->page_upright = upright_score(level, &out->page_alignment);
}

// The characters of a document: light paper and dark ink. Near-duplicate pages are told apart by
// them, and a grey document is not a grey picture.
void measure_text_marks(const cv::Mat &grey, const long counts[256], int32_t analysis_side, rc_image_measures *out) {
    // A document: light paper and dark ink, split by Otsu's threshold (from the histogram).
    double total = 0, weighted = 0;
    for (int value = 0; value < 256; ++value) { total += counts[value]; weighted += double(counts[value]) * value; }
    if (total <= 0) return;
    double below = 0, below_weighted = 0, best = -1;
    int threshold = 0;
    for (int value = 0; value < 255; ++value) {
        below += counts[value];
        below_weighted += double(counts[value]) * value;
        if (below == 0 || below == total) continue;
        const double ink_mean = below_weighted / below, paper_mean = (weighted - below_weighted) / (total - below);
        const double between = below * (total - below) * (ink_mean - paper_mean) * (ink_mean - paper_mean);
        if (between > best) { best = between; threshold = value; }
    }
    double ink_count = 0, ink_sum = 0;
    for (int value = 0; value <= threshold; ++value) { ink_count += counts[value]; ink_sum += double(counts[value]) * value; }
    const double ink_share = ink_count / total;
    if (ink_share < 0.003 || ink_share > 0.35) return;
    const double ink_level = ink_sum / ink_count, paper = (weighted - ink_sum) / (total - ink_count);
    if (paper < 150 || paper - ink_level < 60 || threshold < 60) return;
    // Characters are labelled at half the analysis side, a quarter of the pixels (labelling was
    // half the cost of measuring a document), and at that one size whatever the decoded size, so
    // copies of a sparse page count alike. Which way the page lies is measure_page_lines' to say.
    const int longer = std::max(grey.cols, grey.rows), labelling_side = std::max(1, (analysis_side > 0 ? analysis_side : longer) / 2);
    if (longer > labelling_side) {
        const double factor = double(labelling_side) / longer;
        cv::Mat small;
        area_resize(grey, small, factor);
        out->text_marks = count_text_marks(small, threshold, 1 / factor);
    } else {
        out->text_marks = count_text_marks(grey, threshold, 1);
    }
}

// The spread of colour across the image: 16x16 cell means of two opponent channels (red-green
// and yellow-blue), each from its 2nd to its 98th percentile; the larger of the two. Cell means
// of each plane rounded to whole levels, as cv::resize's INTER_AREA gives them: at sizes that do
// not divide by 16 it takes its slow general path, and a pixel now counts in one cell rather
// than shared between two (a level or two of difference). An image under 64 pixels a side is
// still resized (its cells would hold a few pixels each, or none).
RC_HOT double colour_spread(const cv::Mat &image, ChannelOrder order, CellGrid grids[3]) {
    std::vector<double> cells[3];
    if (std::min(image.cols, image.rows) < 64) {
        cv::Mat resized;
        cv::resize(image, resized, cv::Size(16, 16), 0, 0, cv::INTER_AREA);
        for (int plane = 0; plane < 3; ++plane) {
            const int channel = channel_of(plane, order);
            for (int row = 0; row < 16; ++row) {
                for (int column = 0; column < 16; ++column) cells[plane].push_back(resized.at<cv::Vec3b>(row, column)[channel]);
            }
        }
    } else {
        for (int plane = 0; plane < 3; ++plane) {
            cells[plane] = grids[plane].means();
            for (double &cell : cells[plane]) cell = std::round(cell);
        }
    }
    std::vector<double> red_green, yellow_blue;
    for (size_t cell = 0; cell < cells[0].size(); ++cell) {
        const double blue = cells[0][cell], green = cells[1][cell], red = cells[2][cell];
        red_green.push_back(red - green);
        yellow_blue.push_back((red + green) / 2 - blue);
    }
    auto spread = [](std::vector<double> &values) {
        std::sort(values.begin(), values.end());
        const size_t low = size_t(values.size() * 0.02), high = std::min(values.size() - 1, size_t(values.size() * 0.98));
        return values[high] - values[low];
    };
    return std::max(spread(red_green), spread(yellow_blue));
}

// Scale first: every measure is taken at most `analysis_side` wide, so its cost and its value do
// not depend on the resolution.
cv::Mat to_analysis_scale(const cv::Mat &image, int32_t analysis_side) {
    const int longer = std::max(image.cols, image.rows);
    if (analysis_side <= 0 || longer <= analysis_side) return image;
    const double factor = double(analysis_side) / longer;
    // Under 2x, bilinear samples every source pixel's neighbourhood and costs a third of
    // INTER_AREA's general path; beyond, INTER_AREA averages so nothing aliases.
    cv::Mat small;
    if (factor >= 0.5) cv::resize(image, small, cv::Size(), factor, factor, cv::INTER_LINEAR);
    else area_resize(image, small, factor);
    return small;
}

// Which rows the colour measures read of an image `longer` pixels on its longer side: every one
// under 3/4 of the analysis side, then every second, third... so that they lie no more than about
// half the analysis side apart.
int colour_row_step(int longer, int32_t analysis_side) {
    return analysis_side > 1 ? std::max(1, (longer + analysis_side / 4) / (analysis_side / 2)) : 1;
}

// Colourfulness (mean |R-G| + |G-B| over 2), colour spread and paper share of a colour image, read
// from every `step`-th row (see colour_row_step): they are shares and means over the picture,
// which half its rows state as well as all of them.
RC_HOT void measure_colour(const cv::Mat &image, ChannelOrder order, int step, rc_image_measures *out) {
    // On separate planes the loop vectorises: the colour measures of the audit bench's tune half
    // took 2.9 s of CPU so, 4.4 s on interleaved pixels. Each row is split into its planes here
    // (the compiler vectorises that with AVX2's shuffles), and they stay in the cache for the loop
    // and the cell grids: cv::split of the whole image wrote three planes that outgrew the cache,
    // so each pass over them went to memory.
    const int width = image.cols, height = (image.rows + step - 1) / step;
    std::vector<uint8_t> row_planes(size_t(width) * 3);
    CellGrid grids[3] = {CellGrid(width, height, 16, 16), CellGrid(width, height, 16, 16),
                         CellGrid(width, height, 16, 16)};
    int64_t difference = 0, paper = 0;
    for (int row = 0; row < height; ++row) {
        const uint8_t *pixels = image.ptr<uint8_t>(row * step);
        uint8_t *first = row_planes.data(), *second = first + width, *third = second + width;
        for (int column = 0; column < width; ++column) {
            first[column] = pixels[3 * column];
            second[column] = pixels[3 * column + 1];
            third[column] = pixels[3 * column + 2];
        }
        const uint8_t *channels[3] = {first, second, third};  // in the image's channel order
        const uint8_t *blues = channels[channel_of(0, order)], *greens = channels[1],
                      *reds = channels[channel_of(2, order)];
        grids[0].add_row(row, blues);
        grids[1].add_row(row, greens);
        grids[2].add_row(row, reds);
        int32_t row_difference = 0, row_paper = 0;
        for (int column = 0; column < width; ++column) {
            const int blue = blues[column], green = greens[column], red = reds[column];
            row_difference += std::abs(red - green) + std::abs(green - blue);
            // JFIF's luma and chroma, in 1/1024ths: light and neutral is paper.
            const int luma = 306 * red + 601 * green + 117 * blue;
            const int chroma_red = 512 * red - 429 * green - 83 * blue;
            const int chroma_blue = -173 * red - 339 * green + 512 * blue;
            row_paper += luma > 140 * 1024 && std::abs(chroma_red) < 12 * 1024 && std::abs(chroma_blue) < 12 * 1024;
        }
        difference += row_difference;
        paper += row_paper;
    }
    out->paper_share = double(paper) / double(std::max(1, width * height));
    out->colourfulness = double(difference) / (2.0 * std::max(1, width * height));
    out->colour_spread = colour_spread(image, order, grids);
}

// Everything measured on the grey image at analysis scale.
RC_HOT void measure_grey(const cv::Mat &scaled, int32_t analysis_side, rc_image_measures *out) {
    std::vector<uint8_t> content;
    measure_sharpness(scaled, out, &content);
    // The blur effect says what the Laplacian cannot where it finds little detail; where it finds
    // plenty (20x the default blur_threshold: in-focus pages sit at 900 and up), it is not taken.
    if (out->sharpness < 400) measure_blur_effect(scaled, content, out); else out->blur_effect = -1;
    // The detail kept across scales speaks only for pictures that could be called blurry (under
    // 5x the default blur_threshold); it costs a float pyramid of the whole image.
    if (out->sharpness < 100) measure_detail_retention(scaled, content, out); else out->detail_retention = -1;
    long counts[256] = {0};
    measure_histogram(scaled, counts, out);
    measure_text_marks(scaled, counts, analysis_side, out);
    measure_page_lines(scaled, out);
    out->difference_hash = difference_hash(scaled);
    thumbnail(scaled, out);
    measure_keypoints(scaled, out);
}

RC_HOT void measure(const cv::Mat &image, ChannelOrder order, int32_t analysis_side, rc_image_measures *out) {
    out->width = image.cols;
    out->height = image.rows;
    out->channels = image.channels();

    cv::Mat eight_bit = image;
    if (image.depth() != CV_8U) {
        image.convertTo(eight_bit, CV_8U, image.depth() == CV_16U ? 1.0 / 256.0 : 1.0);
    }
    cv::Mat scaled;
    if (eight_bit.channels() == 1) {
        scaled = to_analysis_scale(eight_bit, analysis_side);
        out->colourfulness = 0;
        out->paper_share = double(cv::countNonZero(scaled > 140)) / double(std::max(1, scaled.rows * scaled.cols));
    } else {
        // Grey first, then scaled: scaling one plane costs a third of scaling three. Colour is
        // read where it was decoded.
        const bool rgb = order == ChannelOrder::rgb;
        cv::Mat colour = eight_bit;
        if (eight_bit.channels() == 4) cv::cvtColor(eight_bit, colour, rgb ? cv::COLOR_RGBA2RGB : cv::COLOR_BGRA2BGR);
        cv::Mat grey;
        cv::cvtColor(colour, grey, rgb ? cv::COLOR_RGB2GRAY : cv::COLOR_BGR2GRAY);
        scaled = to_analysis_scale(grey, analysis_side);
        measure_colour(colour, order, colour_row_step(std::max(colour.cols, colour.rows), analysis_side), out);
    }
    measure_grey(scaled, analysis_side, out);
}

RC_AVX2 void measure_avx2(const cv::Mat &image, ChannelOrder order, int32_t analysis_side, rc_image_measures *out) {
    measure(image, order, analysis_side, out);
}

// Everything measured, by the AVX2 build of the hot loops where the processor has it.
void measure_image(const cv::Mat &image, ChannelOrder order, int32_t analysis_side, rc_image_measures *out) {
    if (rc_has_avx2()) measure_avx2(image, order, analysis_side, out); else measure(image, order, analysis_side, out);
}

RC_AVX2 unsigned char *png_pixels_avx2(const unsigned char *data, size_t size, size_t most_pixels, int *width,
                                       int *height, int *channels, size_t *row_bytes) {
    return png_pixels(data, size, most_pixels, width, height, channels, row_bytes);
}

unsigned char *decode_png(const unsigned char *data, size_t size, size_t most_pixels, int *width, int *height,
                          int *channels, size_t *row_bytes) {
    return rc_has_avx2() ? png_pixels_avx2(data, size, most_pixels, width, height, channels, row_bytes)
                         : png_pixels(data, size, most_pixels, width, height, channels, row_bytes);
}

// The 64-bit hash of a file's bytes the audit finds byte-identical copies by: FNV-1a over 8-byte
// little-endian words, then over the bytes left, finished with MurmurHash3's mixer. The same
// function as DatasetAuditor.contentHash, here so the bytes read to decode need not be read again.
uint64_t content_hash(const unsigned char *bytes, size_t count) {
    uint64_t hash = 0xCBF29CE484222325ull;
    const uint64_t prime = 0x00000100000001B3ull;
    const size_t words = count / 8;
    for (size_t word = 0; word < words; ++word) {
        uint64_t value;
        std::memcpy(&value, bytes + 8 * word, 8);
        hash = (hash ^ value) * prime;
    }
    for (size_t byte = 8 * words; byte < count; ++byte) hash = (hash ^ uint64_t(bytes[byte])) * prime;
    hash ^= hash >> 33;
    hash *= 0xFF51AFD7ED558CCDull;
    hash ^= hash >> 33;
    hash *= 0xC4CEB9FE1A85EC53ull;
    hash ^= hash >> 33;
    return hash;
}

// OpenCV's image codecs, for the formats libjpeg and png_pixels leave, loaded on first need:
// linked, they would bring GDAL and ~130 other shared objects into every worker (60 ms of CPU at
// each start), for files most datasets never hold. They lie beside the OpenCV core this library
// was linked with, under the same version suffix.
using imread_function = cv::Mat (*)(const std::string &, int);

imread_function load_imread(std::string *missing) {
    static std::string failure;
    static const imread_function function = [] () -> imread_function {
        Dl_info core{};
        std::string name = "libopencv_imgcodecs.so";
        if (dladdr(reinterpret_cast<void *>(&cv::getVersionString), &core) != 0 && core.dli_fname != nullptr) {
            const std::string path = core.dli_fname;
            const size_t at = path.rfind("opencv_core");
            if (at != std::string::npos) name = path.substr(0, at) + "opencv_imgcodecs" + path.substr(at + 11);
        }
        void *library = dlopen(name.c_str(), RTLD_LAZY | RTLD_LOCAL);
        if (library == nullptr) {
            const char *why = dlerror();
            failure = why != nullptr ? why : name + ": cannot be loaded";
            return nullptr;
        }
        // cv::imread(const std::string &, int), by its name in the C++ ABI.
        void *symbol = dlsym(library, "_ZN2cv6imreadERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEi");
        if (symbol == nullptr) failure = name + ": has no cv::imread";
        return reinterpret_cast<imread_function>(symbol);
    }();
    if (function == nullptr && missing != nullptr) *missing = failure;
    return function;
}

}  // namespace

extern "C" int32_t rc_measure_image(const char *path, int32_t analysis_side, int32_t reduction, rc_image_measures *out) {
    if (out == nullptr) return 2;
    std::memset(out, 0, sizeof(*out));
    // Every image allocates buffers of megabytes, which glibc maps afresh (and the kernel zeroes,
    // page by page) each time and unmaps once freed: 340,000 page faults for the 1,990 images of
    // the audit bench's tune3 half. Kept in the heap, up to 128 MB free, they are reused: 58,000.
    // Only a buffer past 64 MB (a 21-megapixel image) is mapped apart.
    static const bool buffers_kept = (mallopt(M_MMAP_THRESHOLD, 64 << 20), mallopt(M_TRIM_THRESHOLD, 128 << 20), true);
    (void)buffers_kept;
    if (path == nullptr) {
        set_error(out, 2, "no path");
        return out->status;
    }
    try {
        // The whole file in one read of its size (a stream iterator copies it byte by byte), into
        // a buffer not zeroed first; its hash is taken here, so the audit need not read it again.
        std::ifstream file(path, std::ios::binary | std::ios::ate);
        const size_t size = size_t(std::max<std::streamoff>(0, file.tellg()));
        std::unique_ptr<unsigned char[]> bytes(new unsigned char[std::max<size_t>(1, size)]);
        file.seekg(0);
        file.read(reinterpret_cast<char *>(bytes.get()), std::streamsize(size));
        const size_t read = size_t(std::max<std::streamsize>(0, file.gcount()));
        const bool whole = file.good() && read == size;
        file.close();
        const unsigned char *data = bytes.get();
        if (whole) {
            out->content_hash = content_hash(data, read);
            out->content_hashed = 1;
        }
        // A JPEG is decoded by libjpeg directly (see jpeg_bgr), the common PNG with libdeflate (see
        // png_pixels); a grey one stays grey, so "grayscale" means a colour file holding a grey
        // picture, not a grey scan.
        const bool jpeg = read >= 2 && data[0] == 0xFF && data[1] == 0xD8;
        const bool png = read >= 2 && data[0] == 0x89 && data[1] == 'P';
        if (jpeg || png) {
            int width = 0, height = 0, components = 0;
            size_t row_bytes = 0;
            unsigned char *pixels =
                jpeg ? jpeg_bgr(data, read, reduction > 1 ? reduction : 1, &width, &height, &components)
                     : decode_png(data, read, size_t(1) << 30, &width, &height, &components, &row_bytes);
            if (pixels != nullptr) {
                struct Release { unsigned char *pixels; ~Release() { std::free(pixels); } } release{pixels};
                // A PNG's rows follow their filter bytes, in RGB(A) order (see png_pixels).
                const cv::Mat image = jpeg ? cv::Mat(height, width, CV_8UC(components), pixels)
                                           : cv::Mat(height, width, CV_8UC(components), pixels + 1, row_bytes);
                measure_image(image, jpeg ? ChannelOrder::bgr : ChannelOrder::rgb, analysis_side, out);
                out->status = 0;
                return out->status;
            }
        }
        // What libjpeg and png_pixels left (CMYK, palettes, corrupt files) and every other format:
        // OpenCV, which reads the file itself (the bytes read here are let go first). Reduced
        // decoding keeps a grey JPEG grey (IMREAD_ANYCOLOR). EXIF orientation is the header
        // check's to report: pixels are measured as stored.
        bytes.reset();
        std::string missing;
        const imread_function imread = load_imread(&missing);
        if (imread == nullptr) {
            set_error(out, 3, missing.c_str());
            return out->status;
        }
        int flags = cv::IMREAD_UNCHANGED;
        if (reduction == 2) flags = cv::IMREAD_REDUCED_GRAYSCALE_2 | cv::IMREAD_ANYCOLOR | cv::IMREAD_IGNORE_ORIENTATION;
        if (reduction == 4) flags = cv::IMREAD_REDUCED_GRAYSCALE_4 | cv::IMREAD_ANYCOLOR | cv::IMREAD_IGNORE_ORIENTATION;
        if (reduction == 8) flags = cv::IMREAD_REDUCED_GRAYSCALE_8 | cv::IMREAD_ANYCOLOR | cv::IMREAD_IGNORE_ORIENTATION;
        cv::Mat image = imread(path, flags);
        if (image.empty()) {
            set_error(out, 1, "the decoder could not read this file");
            return out->status;
        }
        measure_image(image, ChannelOrder::bgr, analysis_side, out);
        out->status = 0;
    } catch (const cv::Exception &error) {
        set_error(out, 1, error.what());
    } catch (const std::exception &error) {
        set_error(out, 2, error.what());
    } catch (...) {
        set_error(out, 2, "unknown C++ exception");
    }
    return out->status;
}

extern "C" const char *rc_opencv_version(void) {
    return CV_VERSION;
}
