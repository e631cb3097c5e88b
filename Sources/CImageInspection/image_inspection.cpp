// The one place runclinic calls OpenCV. Every entry point catches every exception: a hostile
// file must come back as an error code, never as a C++ exception crossing into Swift.
#include "image_inspection.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstring>
#include <exception>

namespace {

void set_error(rc_image_measures *out, int32_t status, const char *message) {
    out->status = status;
    std::strncpy(out->error, message, sizeof(out->error) - 1);
    out->error[sizeof(out->error) - 1] = '\0';
}

uint64_t difference_hash(const cv::Mat &grey) {
    cv::Mat thumbnail;
    cv::resize(grey, thumbnail, cv::Size(9, 8), 0, 0, cv::INTER_AREA);
    uint64_t hash = 0;
    for (int row = 0; row < 8; ++row) {
        for (int column = 0; column < 8; ++column) {
            hash = (hash << 1) | (thumbnail.at<uint8_t>(row, column) > thumbnail.at<uint8_t>(row, column + 1) ? 1u : 0u);
        }
    }
    return hash;
}

void fine_difference_hash(const cv::Mat &grey, uint64_t out[16]) {
    cv::Mat thumbnail;
    cv::resize(grey, thumbnail, cv::Size(33, 32), 0, 0, cv::INTER_AREA);
    for (int word = 0; word < 16; ++word) {
        uint64_t bits = 0;
        for (int row = word * 2; row < word * 2 + 2; ++row) {
            for (int column = 0; column < 32; ++column) {
                bits = (bits << 1) | (thumbnail.at<uint8_t>(row, column) > thumbnail.at<uint8_t>(row, column + 1) ? 1u : 0u);
            }
        }
        out[word] = bits;
    }
}

void measure(const cv::Mat &image, int32_t analysis_side, rc_image_measures *out) {
    out->width = image.cols;
    out->height = image.rows;
    out->channels = image.channels();

    cv::Mat eight_bit = image;
    if (image.depth() != CV_8U) {
        image.convertTo(eight_bit, CV_8U, image.depth() == CV_16U ? 1.0 / 256.0 : 1.0);
    }
    // Scale first: every measure is taken at most `analysis_side` wide, so its cost and its
    // value do not depend on the resolution.
    const int longer = std::max(eight_bit.cols, eight_bit.rows);
    cv::Mat small = eight_bit;
    if (analysis_side > 0 && longer > analysis_side) {
        const double factor = double(analysis_side) / longer;
        cv::resize(eight_bit, small, cv::Size(), factor, factor, cv::INTER_AREA);
    }
    cv::Mat scaled;
    if (small.channels() == 1) {
        scaled = small;
        out->colourfulness = 0;
    } else {
        cv::Mat bgr;
        if (small.channels() == 4) cv::cvtColor(small, bgr, cv::COLOR_BGRA2BGR); else bgr = small;
        cv::cvtColor(bgr, scaled, cv::COLOR_BGR2GRAY);
        std::vector<cv::Mat> planes;
        cv::split(bgr, planes);
        cv::Mat rg, gb;
        cv::absdiff(planes[2], planes[1], rg);
        cv::absdiff(planes[1], planes[0], gb);
        out->colourfulness = (cv::mean(rg)[0] + cv::mean(gb)[0]) / 2.0;
    }

    cv::Mat laplacian;
    cv::Laplacian(scaled, laplacian, CV_64F);
    cv::Scalar mean, deviation;
    cv::meanStdDev(laplacian, mean, deviation);
    out->laplacian_variance = deviation[0] * deviation[0];

    cv::Mat edges;
    cv::Canny(scaled, edges, 50, 150);
    out->edge_density = double(cv::countNonZero(edges)) / double(std::max(1, scaled.rows * scaled.cols));

    const int channels[] = {0};
    const int bins[] = {256};
    float range[] = {0, 256};
    const float *ranges[] = {range};
    cv::Mat histogram;
    cv::calcHist(&scaled, 1, channels, cv::Mat(), histogram, 1, bins, ranges);
    const double total = double(scaled.rows) * scaled.cols;
    double entropy = 0, sum = 0, dark = 0, bright = 0;
    for (int value = 0; value < 256; ++value) {
        const double count = histogram.at<float>(value);
        sum += count * value;
        if (value < 30) dark += count;
        if (value > 225) bright += count;
        if (count > 0) {
            const double p = count / total;
            entropy -= p * std::log2(p);
        }
    }
    out->mean_brightness = sum / total;
    out->dark_fraction = dark / total;
    out->bright_fraction = bright / total;
    out->entropy = entropy;
    out->difference_hash = difference_hash(scaled);
    fine_difference_hash(scaled, out->fine_hash);
}

}  // namespace

extern "C" int32_t rc_measure_image(const char *path, int32_t analysis_side, int32_t reduction, rc_image_measures *out) {
    if (out == nullptr) return 2;
    std::memset(out, 0, sizeof(*out));
    if (path == nullptr) {
        set_error(out, 2, "no path");
        return out->status;
    }
    try {
        int flags = cv::IMREAD_UNCHANGED;
        if (reduction == 2) flags = cv::IMREAD_REDUCED_COLOR_2;
        if (reduction == 4) flags = cv::IMREAD_REDUCED_COLOR_4;
        if (reduction == 8) flags = cv::IMREAD_REDUCED_COLOR_8;
        cv::Mat image = cv::imread(path, flags);
        if (image.empty()) {
            set_error(out, 1, "the decoder could not read this file");
            return out->status;
        }
        measure(image, analysis_side, out);
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
