// What a colour image's channels say: how colourful it is, how its colour spreads across it, and
// how much of it is light, neutral paper.
#ifndef RUNCLINIC_COLOUR_MEASURES_H
#define RUNCLINIC_COLOUR_MEASURES_H

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "cell_grid.h"
#include "channel_order.h"
#include "image_inspection.h"
#include "vector_dispatch.h"

namespace {

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

}  // namespace

#endif
