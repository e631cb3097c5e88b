// The decode-only floor of the audit bench: every file of a folder decoded, on N threads, at the
// scale runclinic's checks use and as runclinic decodes it: a JPEG by libjpeg straight into BGR
// (at 1/2, 1/4 or 1/8 when its longer side is at least 4/3 of the analysis side), the common PNG
// with libdeflate (png_pixels), anything else by the system OpenCV. Nothing measured.
//
//     decode_floor FOLDER ANALYSIS_SIDE THREADS   -> prints "<decoded> <failed>"
#include <opencv2/imgcodecs.hpp>

#include "../Sources/CImageInspectionAPI/include/image_inspection.h"
#include "../Sources/CImageInspection/jpeg_bgr.h"
#include "../Sources/CImageInspection/png_pixels.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

// Width and height from a PNG's IHDR or a JPEG's SOF marker, or {0, 0}.
static std::vector<unsigned char> read_file(const std::string &path) {
    std::ifstream file(path, std::ios::binary);
    return std::vector<unsigned char>((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

static std::pair<int, int> header_size(const std::vector<unsigned char> &data) {
    if (data.size() >= 24 && data[0] == 0x89 && data[1] == 'P') {  // PNG: IHDR follows the signature
        return {(data[16] << 24) | (data[17] << 16) | (data[18] << 8) | data[19], (data[20] << 24) | (data[21] << 16) | (data[22] << 8) | data[23]};
    }
    if (data.size() < 4 || data[0] != 0xFF || data[1] != 0xD8) return {0, 0};
    size_t at = 2;
    while (at + 9 < data.size()) {
        if (data[at] != 0xFF) { ++at; continue; }
        const unsigned char marker = data[at + 1];
        const size_t length = (data[at + 2] << 8) | data[at + 3];
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
            return {(data[at + 7] << 8) | data[at + 8], (data[at + 5] << 8) | data[at + 6]};
        }
        at += 2 + length;
    }
    return {0, 0};
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    const int side = std::stoi(argv[2]);
    const int threads = std::stoi(argv[3]);
    std::vector<std::string> files;
    for (const auto &entry : std::filesystem::directory_iterator(argv[1])) files.push_back(entry.path().string());
    std::atomic<size_t> next{0};
    std::atomic<int> decoded{0}, failed{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (size_t index = next++; index < files.size(); index = next++) {
                const std::vector<unsigned char> data = read_file(files[index]);
                auto [width, height] = header_size(data);
                const bool is_jpeg = files[index].size() > 4 && files[index].substr(files[index].size() - 4) == ".jpg";
                const int reduction = is_jpeg ? rc_jpeg_reduction(width, height, side) : 1;
                int flags = cv::IMREAD_UNCHANGED;
                if (reduction == 2) flags = cv::IMREAD_REDUCED_COLOR_2;
                if (reduction == 4) flags = cv::IMREAD_REDUCED_COLOR_4;
                if (reduction == 8) flags = cv::IMREAD_REDUCED_COLOR_8;
                try {
                    // Too-large headers are refused unread by every tool; skip them here too.
                    if (std::max(width, height) > 20000) { ++failed; continue; }
                    int decoded_width = 0, decoded_height = 0, components = 0;
                    size_t row_bytes = 0;
                    unsigned char *pixels =
                        is_jpeg ? jpeg_bgr(data.data(), data.size(), reduction, &decoded_width, &decoded_height, &components)
                                : png_pixels(data.data(), data.size(), size_t(1) << 30, &decoded_width, &decoded_height, &components, &row_bytes);
                    if (pixels != nullptr) { std::free(pixels); ++decoded; continue; }
                    cv::Mat image = cv::imread(files[index], flags);
                    if (image.empty()) ++failed; else ++decoded;
                } catch (...) {
                    ++failed;
                }
            }
        });
    }
    for (auto &worker : workers) worker.join();
    std::printf("%d %d\n", decoded.load(), failed.load());
    return 0;
}
