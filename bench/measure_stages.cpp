// Where the image library's CPU goes: every file of a list decoded and measured on one thread, as
// rc_measure_image does it, with each stage timed apart. It includes the library's source, so
// it times the very functions the audit runs.
//
//     clang++ -O2 -mavx2 -std=c++17 -ISources/CImageInspectionAPI/include bench/measure_stages.cpp \
//         -o /tmp/measure_stages $(pkg-config --cflags --libs opencv4) -ljpeg -ldeflate -lgif -lheif -ldl
//     find DIR -type f > /tmp/files.txt && /tmp/measure_stages /tmp/files.txt [ANALYSIS_SIDE]
#include "../Sources/CImageInspection/image_inspection.cpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

namespace {
using Clock = std::chrono::steady_clock;
std::map<std::string, double> seconds;

template <typename Work> void timed(const char *stage, Work work) {
    const auto start = Clock::now();
    work();
    seconds[stage] += std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<unsigned char> read_file(const std::string &path) {
    std::ifstream file(path, std::ios::binary);
    return std::vector<unsigned char>((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}
}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const int side = argc > 2 ? std::stoi(argv[2]) : 1024;
    std::vector<std::string> files;
    std::ifstream list(argv[1]);
    for (std::string path; list >> path;) files.push_back(path);
    int measured = 0;
    for (const std::string &path : files) {
        try {
            const std::vector<unsigned char> data = read_file(path);
            const bool jpeg = data.size() > 2 && data[0] == 0xFF && data[1] == 0xD8;
            int width = 0, height = 0, channels = 0;
            size_t row_bytes = 0;
            unsigned char *pixels = nullptr;
            cv::Mat image;
            if (jpeg) {
                // The reduction ImageMeasurer picks from the header.
                int full_width = 0, full_height = 0;
                jpeg_dimensions(data.data(), data.size(), &full_width, &full_height);
                const int reduction = rc_jpeg_reduction(full_width, full_height, side);
                timed("decode: JPEG", [&] { pixels = jpeg_bgr(data.data(), data.size(), reduction, &width, &height, &channels); });
            } else {
                timed("decode: PNG (libdeflate)", [&] { pixels = png_pixels(data.data(), data.size(), size_t(1) << 30, &width, &height, &channels, &row_bytes); });
                if (pixels == nullptr) timed("decode: OpenCV", [&] { image = cv::imread(path, cv::IMREAD_UNCHANGED); });
            }
            // A PNG's rows follow their filter bytes, in RGB(A) order (see png_pixels).
            const ChannelOrder order = jpeg || pixels == nullptr ? ChannelOrder::bgr : ChannelOrder::rgb;
            if (pixels != nullptr) {
                image = jpeg ? cv::Mat(height, width, CV_8UC(channels), pixels)
                             : cv::Mat(height, width, CV_8UC(channels), pixels + 1, row_bytes);
            }
            if (image.empty() || image.depth() != CV_8U) { std::free(pixels); continue; }
            rc_image_measures out;
            std::memset(&out, 0, sizeof(out));
            cv::Mat grey;
            if (image.channels() == 1) {
                timed("scale to analysis side", [&] { grey = to_analysis_scale(image, side); });
                out.paper_share = double(cv::countNonZero(grey > 140)) / double(std::max(1, grey.rows * grey.cols));
            } else {
                const bool rgb = order == ChannelOrder::rgb;
                cv::Mat colour = image, full_grey;
                if (image.channels() == 4) cv::cvtColor(image, colour, rgb ? cv::COLOR_RGBA2RGB : cv::COLOR_BGRA2BGR);
                timed("grey", [&] { cv::cvtColor(colour, full_grey, rgb ? cv::COLOR_RGB2GRAY : cv::COLOR_BGR2GRAY); });
                timed("scale to analysis side", [&] { grey = to_analysis_scale(full_grey, side); });
                const int step = colour_row_step(std::max(colour.cols, colour.rows), side);
                timed("colour", [&] { measure_colour(colour, order, step, &out); });
            }
            std::vector<uint8_t> content;
            long counts[256] = {0};
            timed("sharpness", [&] { measure_sharpness(grey, &out, &content); });
            timed("blur effect", [&] { if (out.sharpness < 400) measure_blur_effect(grey, content, &out); });
            timed("detail retention", [&] { if (out.sharpness < 100) measure_detail_retention(grey, content, &out); });
            timed("histogram", [&] { measure_histogram(grey, counts, &out); });
            timed("text marks", [&] { measure_text_marks(grey, counts, side, &out); });
            timed("page lines", [&] { measure_page_lines(grey, &out); });
            timed("difference hash", [&] { out.difference_hash = difference_hash(grey); });
            timed("thumbnail", [&] { thumbnail(grey, &out); });
            // As measure_grey does: keypoints on the 320 px frame, and the sheet's outline only
            // where PageOutline could take it.
            cv::Mat frame;
            timed("keypoints", [&] { frame = keypoint_frame(grey); measure_keypoints(frame, &out); });
            timed("page outline", [&] { if (out.paper_share >= 0.07 && out.page_marks >= 50) measure_page_outline(frame, &out); });
            std::free(pixels);
            ++measured;
        } catch (const std::exception &) {
            // What OpenCV throws on is the audit's to report, not this profile's.
        }
    }
    double total = 0;
    for (const auto &[stage, spent] : seconds) {
        std::printf("%-26s %7.2f s\n", stage.c_str(), spent);
        total += spent;
    }
    std::printf("%-26s %7.2f s (%d images)\n", "total", total, measured);
    return 0;
}
