// Checks the image library's page background (page_background.h) against OpenCV's cv::dilate
// (15x15 rectangle) followed by cv::blur (15x15), pixel for pixel, on every file of a list at the
// analysis scale and, for one file in 50, at small sizes where the borders meet; and times both.
//
//     clang++ -O2 -std=c++17 -ISources/CImageInspectionAPI/include bench/page_background_check.cpp \
//         -o /tmp/page_background_check $(pkg-config --cflags --libs opencv4) -ljpeg -ldeflate -lgif -lheif -ldl
//     find DIR -type f > /tmp/files.txt && /tmp/page_background_check /tmp/files.txt
#include "../Sources/CImageInspection/image_inspection.cpp"
#include "grey_images.h"

#include <chrono>
#include <cstdio>
#include <string>

namespace {
using Clock = std::chrono::steady_clock;
double opencv_seconds = 0, one_pass_seconds = 0;
long compared = 0, different = 0;

void compare(const cv::Mat &grey, const std::string &what) {
    const auto start = Clock::now();
    cv::Mat expected;
    cv::dilate(grey, expected, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(15, 15)));
    cv::blur(expected, expected, cv::Size(15, 15));
    const auto middle = Clock::now();
    cv::Mat background;
    page_background(grey, background);
    const auto end = Clock::now();
    opencv_seconds += std::chrono::duration<double>(middle - start).count();
    one_pass_seconds += std::chrono::duration<double>(end - middle).count();
    ++compared;
    if (cv::norm(expected, background, cv::NORM_INF) != 0 && ++different <= 5) {
        std::printf("different: %s (%dx%d)\n", what.c_str(), grey.cols, grey.rows);
    }
}
}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    each_grey_image(argv[1], [](const std::string &path, const cv::Mat &image) {
        compare(to_analysis_scale(image, 1024), path);
        if (compared % 50 == 1) {
            for (const int side : {1, 2, 5, 8, 14, 15, 16, 17, 23, 31}) {
                for (const int other : {1, 3, side, 2 * side + 1}) {
                    cv::Mat small;
                    cv::resize(image, small, cv::Size(side, other), 0, 0, cv::INTER_AREA);
                    compare(small, path + " at " + std::to_string(side) + "x" + std::to_string(other));
                }
            }
        }
    });
    std::printf("%ld images, %ld different; OpenCV %.2f s, one pass %.2f s\n", compared, different, opencv_seconds, one_pass_seconds);
    return different == 0 ? 0 : 1;
}
