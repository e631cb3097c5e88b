// Checks the image library's area resize (area_resize.h) against cv::resize with INTER_AREA,
// pixel for pixel, on every file of a list: shrunk to the analysis side (1,024), to the side
// characters are labelled at (512), and by seven other factors; and times both.
//
//     clang++ -O2 -std=c++17 -ISources/CImageInspectionAPI/include bench/area_resize_check.cpp \
//         -o /tmp/area_resize_check $(pkg-config --cflags --libs opencv4) -ljpeg -ldeflate -lgif -lheif -ldl
//     find DIR -type f > /tmp/files.txt && /tmp/area_resize_check /tmp/files.txt
#include "../Sources/CImageInspection/image_inspection.cpp"
#include "grey_images.h"

#include <chrono>
#include <cstdio>
#include <string>

namespace {
using Clock = std::chrono::steady_clock;
double opencv_seconds = 0, ours_seconds = 0;
long compared = 0, different = 0;

void compare(const cv::Mat &grey, double factor, const std::string &what) {
    if (factor >= 1 || factor <= 0) return;
    const auto start = Clock::now();
    cv::Mat expected;
    cv::resize(grey, expected, cv::Size(), factor, factor, cv::INTER_AREA);
    const auto middle = Clock::now();
    cv::Mat small;
    area_resize(grey, small, factor);
    const auto end = Clock::now();
    opencv_seconds += std::chrono::duration<double>(middle - start).count();
    ours_seconds += std::chrono::duration<double>(end - middle).count();
    ++compared;
    if ((expected.size() != small.size() || cv::norm(expected, small, cv::NORM_INF) != 0) && ++different <= 5) {
        std::printf("different: %s (%dx%d at %g)\n", what.c_str(), grey.cols, grey.rows, factor);
    }
}
}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    each_grey_image(argv[1], [&](const std::string &path, const cv::Mat &image) {
        const int longer = std::max(image.cols, image.rows);
        compare(image, 1024.0 / longer, path);
        compare(to_analysis_scale(image, 1024), 512.0 / std::min(longer, 1024), path + " at 512");
        for (const double factor : {0.9, 0.77, 0.5003, 0.33, 0.21, 0.1, 0.031}) {
            compare(image, factor, path + " at " + std::to_string(factor));
        }
    });
    std::printf("%ld resizes, %ld different; OpenCV %.2f s, here %.2f s\n", compared, different, opencv_seconds, ours_seconds);
    return different == 0 ? 0 : 1;
}
