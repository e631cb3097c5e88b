// Checks the image library's connected components (ink_components.h) against OpenCV's
// cv::connectedComponentsWithStats on every file of a list: the same labels in the same order,
// with the same boxes, areas and centroids, for the two binary images the library labels (a
// page's ink against its local background, and the ink under a global threshold), and times
// both.
//
//     clang++ -O2 -std=c++17 -ISources/CImageInspectionAPI/include bench/ink_components_check.cpp \
//         -o /tmp/ink_components_check $(pkg-config --cflags --libs opencv4) -ljpeg -ldeflate -lgif -lheif
//     find DIR -type f > /tmp/files.txt && /tmp/ink_components_check /tmp/files.txt
#include "../Sources/CImageInspection/image_inspection.cpp"
#include "grey_images.h"

#include <chrono>
#include <cstdio>
#include <string>

namespace {
using Clock = std::chrono::steady_clock;
double opencv_seconds = 0, runs_seconds = 0;
long compared = 0, different = 0;

void compare(const cv::Mat &binary, const std::string &what) {
    cv::Mat labels, opencv_stats, opencv_centroids;
    const auto start = Clock::now();
    const int opencv_count = cv::connectedComponentsWithStats(binary, labels, opencv_stats, opencv_centroids, 8, CV_32S);
    const auto middle = Clock::now();
    const InkComponents components(binary);
    const auto end = Clock::now();
    const cv::Mat &stats = components.stats, &centroids = components.centroids;
    const int count = components.count;
    opencv_seconds += std::chrono::duration<double>(middle - start).count();
    runs_seconds += std::chrono::duration<double>(end - middle).count();
    ++compared;
    bool same = count == opencv_count;
    for (int label = 1; same && label < count; ++label) {
        for (int stat = 0; stat < 5; ++stat) same = same && stats.at<int>(label, stat) == opencv_stats.at<int>(label, stat);
        same = same && centroids.at<double>(label, 0) == opencv_centroids.at<double>(label, 0) &&
               centroids.at<double>(label, 1) == opencv_centroids.at<double>(label, 1);
    }
    if (!same && ++different <= 5) std::printf("different: %s (%d labels, OpenCV %d)\n", what.c_str(), count, opencv_count);
}
}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    each_grey_image(argv[1], [](const std::string &path, const cv::Mat &image) {
        const cv::Mat grey = to_analysis_scale(image, 1024);
        // The page's ink as measure_page_lines finds it.
        cv::Mat background;
        cv::dilate(grey, background, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(15, 15)));
        cv::blur(background, background, cv::Size(15, 15));
        cv::Mat ink(grey.size(), CV_8U);
        for (int row = 0; row < grey.rows; ++row) {
            const uint8_t *pixel = grey.ptr<uint8_t>(row), *paper = background.ptr<uint8_t>(row);
            uint8_t *mark = ink.ptr<uint8_t>(row);
            for (int column = 0; column < grey.cols; ++column) {
                const int level = paper[column], darker = level - int(pixel[column]);
                mark[column] = uint8_t((level > 90) & (darker > std::max(30, level / 4)));
            }
        }
        compare(ink, path + " (page ink)");
        // Under one threshold, as count_text_marks labels it (denser: up to half the picture).
        cv::Mat dark;
        cv::threshold(grey, dark, 128, 255, cv::THRESH_BINARY_INV);
        compare(dark, path + " (threshold)");
    });
    std::printf("%ld binary images, %ld different; OpenCV %.2f s, runs %.2f s\n", compared, different, opencv_seconds, runs_seconds);
    return different == 0 ? 0 : 1;
}
