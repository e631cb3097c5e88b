// The bench checkers' input: each file of a list (one path per line), decoded grey by OpenCV.
// Files OpenCV cannot or will not decode (a decompression bomb) are skipped: nothing to check.
#ifndef RUNCLINIC_BENCH_GREY_IMAGES_H
#define RUNCLINIC_BENCH_GREY_IMAGES_H

#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <string>

template <typename Visit> void each_grey_image(const char *list_path, Visit visit) {
    std::ifstream list(list_path);
    for (std::string path; list >> path;) {
        cv::Mat image;
        try {
            image = cv::imread(path, cv::IMREAD_GRAYSCALE);
        } catch (const cv::Exception &) {
            continue;
        }
        if (!image.empty()) visit(path, image);
    }
}

#endif
