// A document's characters and the lines they are set in: how many there are, which way the lines
// run, and which way up the text stands.
#ifndef RUNCLINIC_TEXT_LINES_H
#define RUNCLINIC_TEXT_LINES_H

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "area_resize.h"
#include "image_inspection.h"
#include "ink_components.h"
#include "page_background.h"
#include "text_orientation_model.h"
#include "vector_dispatch.h"

namespace {

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

// Where the patches the orientation network reads go besides, for bench/orientation's training
// data: that many per page, for every page whose lines are turned level. Null in the audit.
struct OrientationPatchSink {
    std::vector<float> patches;
    int per_page = orientation_patches_per_page;
};
thread_local OrientationPatchSink *orientation_patch_sink = nullptr;

// How a page lies, from ink found against its local background: a photographed page lies on a
// table, in uneven light, where one threshold for the whole image splits paper from table rather
// than ink from paper. Ink is what is clearly darker than the brightest nearby paper.
RC_HOT void measure_page_lines(const cv::Mat &grey, rc_image_measures *out) {
    out->page_upright = NAN;
    out->page_alignment = NAN;
    out->page_upside_down = NAN;
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
    // Where the ascenders do not settle which way up the text stands, its characters' shapes may.
    // The audit (TextOrientation) takes 0.015 to call a page upright, or upside down once turned a
    // quarter, and 0.03 to call it upside down.
    const bool sideways = angle >= 45 && angle < 135;
    const double upright = out->page_upright;
    const bool settled = upright >= 0.015 || upright <= (sideways ? -0.015 : -0.03);
    OrientationPatchSink *sink = orientation_patch_sink;
    if (sink != nullptr || !settled) {
        std::vector<cv::Point2f> centres;
        centres.reserve(on_paper.size());
        for (const Mark &mark : on_paper) centres.emplace_back(mark.x, mark.y);
        std::vector<float> patches;
        orientation_patches(grey, centres, rotation, sink != nullptr ? sink->per_page : orientation_patches_per_page,
                            patches);
        out->page_upside_down = upside_down_logit(patches);
        if (sink != nullptr) sink->patches.insert(sink->patches.end(), patches.begin(), patches.end());
    }
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

}  // namespace

#endif
