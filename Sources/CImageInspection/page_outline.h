#ifndef RUNCLINIC_PAGE_OUTLINE_H
#define RUNCLINIC_PAGE_OUTLINE_H

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "image_inspection.h"

namespace {

// The outline of a sheet photographed on a table, which leans as the sheet does even when its
// print cannot say so (a diagram, a few lines, small type): the largest light region (Otsu's
// threshold on the 320 px keypoint frame, gaps in it closed), its convex hull simplified to
// straight sides. Each side's direction, folded to within 45 degrees of level, is averaged
// weighted by its length (on the circle of four times the angle, so that -44 and 44 agree):
// perspective tilts opposite sides opposite ways, which the mean cancels. Sides along the
// frame's border are the frame's, not the sheet's. Left at 0 (area 0) when the light region
// covers under a tenth or over nine tenths of the frame, or when most of its outline is the
// frame's border.
void measure_page_outline(const cv::Mat &frame, rc_image_measures *out) {
    out->page_outline_area = 0;
    if (frame.cols < 32 || frame.rows < 32) return;
    cv::Mat smooth, light;
    cv::GaussianBlur(frame, smooth, cv::Size(5, 5), 0);
    cv::threshold(smooth, light, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    cv::morphologyEx(light, light, cv::MORPH_CLOSE, cv::Mat::ones(5, 5, CV_8U));
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(light, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    if (contours.empty()) return;
    const auto largest = std::max_element(contours.begin(), contours.end(), [](const auto &a, const auto &b) {
        return cv::contourArea(a) < cv::contourArea(b);
    });
    const double frame_area = double(frame.cols) * frame.rows;
    const double area = cv::contourArea(*largest) / frame_area;
    if (area < 0.1 || area > 0.9) return;
    std::vector<cv::Point> hull, sides;
    cv::convexHull(*largest, hull);
    cv::approxPolyDP(hull, sides, 0.01 * cv::arcLength(hull, true), true);
    const int count = int(sides.size());
    if (count < 3) return;
    std::vector<double> lengths;
    double total = 0, inner = 0, along = 0, across = 0;
    const int right = frame.cols - 3, bottom = frame.rows - 3;
    for (int index = 0; index < count; ++index) {
        const cv::Point from = sides[index], to = sides[(index + 1) % count];
        const double length = std::hypot(double(to.x - from.x), double(to.y - from.y));
        lengths.push_back(length);
        total += length;
        const bool on_border = (from.x <= 2 && to.x <= 2) || (from.y <= 2 && to.y <= 2) ||
                               (from.x >= right && to.x >= right) || (from.y >= bottom && to.y >= bottom);
        if (on_border) continue;
        const double angle = std::atan2(double(to.y - from.y), double(to.x - from.x));
        inner += length;
        along += length * std::cos(4 * angle);
        across += length * std::sin(4 * angle);
    }
    if (total <= 0 || inner < 0.6 * total) return;
    std::sort(lengths.rbegin(), lengths.rend());
    double four = 0;
    for (int index = 0; index < std::min(4, count); ++index) four += lengths[index];
    out->page_outline_area = area;
    out->page_outline_angle = std::atan2(across, along) / 4 * 180 / CV_PI;
    out->page_outline_agreement = std::hypot(along, across) / inner;
    out->page_outline_four_sided = four / total;
}

}  // namespace

#endif
