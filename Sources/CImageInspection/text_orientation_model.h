// Which way up a page's text stands, read by a small convolutional network from patches of the
// page turned level: where its ascenders say little (code in a typewriter face, tables, formulas,
// capitals), the shapes of its characters still do (the bowl of a, e and g, the hooks of f and
// r, where commas and full stops sit). The network and how it was trained: bench/orientation.
#ifndef RUNCLINIC_TEXT_ORIENTATION_MODEL_H
#define RUNCLINIC_TEXT_ORIENTATION_MODEL_H

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "text_orientation_weights.h"
#include "vector_dispatch.h"

namespace {

// A patch is 48 pixels square at the analysis side: two to four lines of body text. (Scaled so
// that characters span 8 or 12 of its pixels, the network told fewer pages of the third tune half
// and misread more.)
constexpr int orientation_patch_side = 48;
// Patches per page: the network reads each in about 0.15 ms, and the mean of 16 of them, past the
// audit's margin, told which way up 127 of the 160 pages of the third tune half (never trained on)
// stood whose ascenders did not settle it, none wrongly.
constexpr int orientation_patches_per_page = 16;

// The patches the network reads: centred on characters spread over the page (every n-th of
// `centres`, which run down the page), turned by `rotation` degrees counter-clockwise about their
// centre as the page's lines are turned level, their levels each scaled to mean 0 and spread 1
// (standard deviation + 1, so flat paper stays flat). Appended to `patches`, side x side floats each.
void orientation_patches(const cv::Mat &grey, const std::vector<cv::Point2f> &centres, double rotation, int count,
                         std::vector<float> &patches) {
    if (centres.empty() || count <= 0) return;
    const int side = orientation_patch_side, area = side * side;
    const double step = std::max(1.0, double(centres.size()) / count);
    cv::Mat patch;
    for (double at = step / 2; at < centres.size() && count > 0; at += step, --count) {
        const cv::Point2f centre = centres[size_t(at)];
        cv::Mat turn = cv::getRotationMatrix2D(centre, rotation, 1.0);
        turn.at<double>(0, 2) += side / 2.0 - centre.x;
        turn.at<double>(1, 2) += side / 2.0 - centre.y;
        cv::warpAffine(grey, patch, turn, cv::Size(side, side), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        double sum = 0, squares = 0;
        for (int row = 0; row < side; ++row) {
            const uint8_t *pixel = patch.ptr<uint8_t>(row);
            for (int column = 0; column < side; ++column) { sum += pixel[column]; squares += double(pixel[column]) * pixel[column]; }
        }
        const double mean = sum / area;
        const double spread = std::sqrt(std::max(0.0, (squares - sum * mean) / (area - 1))) + 1;
        const size_t first = patches.size();
        patches.resize(first + size_t(area));
        for (int row = 0; row < side; ++row) {
            const uint8_t *pixel = patch.ptr<uint8_t>(row);
            for (int column = 0; column < side; ++column) {
                patches[first + size_t(row * side + column)] = float((pixel[column] - mean) / spread);
            }
        }
    }
}

// One 3x3 convolution (zero padding) of `channels_in` planes of `side` x `side`, then ReLU. Each
// row of an output plane is summed in registers over every input plane and tap (a pass per tap
// over the whole plane took twice as long), in one order, the same whether vectorised for
// AVX2 or not.
template <int side>
RC_HOT void orientation_convolve(const float *input, int channels_in, const float *weights, const float *biases,
                                 int channels_out, float *output, std::vector<float> &padded) {
    constexpr int wide = side + 2;
    padded.assign(size_t(channels_in) * wide * wide, 0.0f);
    for (int channel = 0; channel < channels_in; ++channel) {
        for (int row = 0; row < side; ++row) {
            std::copy_n(input + (size_t(channel) * side + row) * side, side,
                        padded.data() + (size_t(channel) * wide + row + 1) * wide + 1);
        }
    }
    for (int out = 0; out < channels_out; ++out) {
        const float *kernels = weights + size_t(out) * channels_in * 9;
        for (int row = 0; row < side; ++row) {
            float sums[side];
            for (int column = 0; column < side; ++column) sums[column] = biases[out];
            for (int in = 0; in < channels_in; ++in) {
                const float *kernel = kernels + size_t(in) * 9;
                const float *source = padded.data() + size_t(in) * wide * wide + size_t(row) * wide;
                for (int tap = 0; tap < 9; ++tap) {
                    const float weight = kernel[tap];
                    const float *from = source + (tap / 3) * wide + tap % 3;
                    for (int column = 0; column < side; ++column) sums[column] += weight * from[column];
                }
            }
            float *to = output + (size_t(out) * side + row) * side;
            for (int column = 0; column < side; ++column) to[column] = std::max(sums[column], 0.0f);
        }
    }
}

// 2x2 max pooling of `channels` planes of side x side (side even).
RC_HOT void orientation_pool(const float *input, int channels, int side, float *output) {
    const int half = side / 2;
    for (int channel = 0; channel < channels; ++channel) {
        const float *plane = input + size_t(channel) * side * side;
        float *to = output + size_t(channel) * half * half;
        for (int row = 0; row < half; ++row) {
            for (int column = 0; column < half; ++column) {
                const float *at = plane + (2 * row) * side + 2 * column;
                to[row * half + column] = std::max(std::max(at[0], at[1]), std::max(at[side], at[side + 1]));
            }
        }
    }
}

// The network's logit for one patch: positive when its text stands upside down.
RC_HOT float orientation_logit(const float *patch) {
    using namespace text_orientation_weights;
    static_assert(orientation_patch_side == 48, "the layers below halve 48 three times");
    const int sides[4] = {48, 24, 12, 6};
    std::vector<float> input(patch, patch + orientation_patch_side * orientation_patch_side), output, padded;
    for (int layer = 0; layer < 4; ++layer) {
        const int side = sides[layer];
        output.resize(size_t(channels[layer + 1]) * side * side);
        float *const to = output.data();
        switch (layer) {
        case 0: orientation_convolve<48>(input.data(), channels[0], conv0_weight, conv0_bias, channels[1], to, padded); break;
        case 1: orientation_convolve<24>(input.data(), channels[1], conv1_weight, conv1_bias, channels[2], to, padded); break;
        case 2: orientation_convolve<12>(input.data(), channels[2], conv2_weight, conv2_bias, channels[3], to, padded); break;
        default: orientation_convolve<6>(input.data(), channels[3], conv3_weight, conv3_bias, channels[4], to, padded); break;
        }
        if (layer < 3) {
            input.resize(size_t(channels[layer + 1]) * (side / 2) * (side / 2));
            orientation_pool(output.data(), channels[layer + 1], side, input.data());
        }
    }
    // Each channel's mean over the last planes, then one linear unit.
    float logit = head_bias;
    const int last = sides[3] * sides[3];
    for (int channel = 0; channel < channels[4]; ++channel) {
        float sum = 0;
        for (int index = 0; index < last; ++index) sum += output[size_t(channel) * last + index];
        logit += head_weight[channel] * (sum / last);
    }
    return logit;
}

// The mean logit over a page's patches (see orientation_patches): positive when the page, turned
// level, stands upside down; NaN without patches.
RC_HOT double upside_down_logit(const std::vector<float> &patches) {
    const size_t area = size_t(orientation_patch_side) * orientation_patch_side, count = patches.size() / area;
    if (count == 0) return NAN;
    double sum = 0;
    for (size_t patch = 0; patch < count; ++patch) sum += orientation_logit(patches.data() + patch * area);
    return sum / double(count);
}

}  // namespace

#endif
