// The one place runclinic calls OpenCV. Every entry point catches every exception: a hostile
// file must come back as an error code, never as a C++ exception crossing into Swift.
#include "image_inspection.h"

#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <dlfcn.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <exception>
#include <fstream>
#include <malloc.h>
#include <memory>
#include <string>
#include <vector>

#include "area_resize.h"
#include "cell_grid.h"
#include "channel_order.h"
#include "colour_measures.h"
#include "detail_measures.h"
#include "gif_pixels.h"
#include "heif_pixels.h"
#include "jpeg_bgr.h"
#include "jpeg_encode.h"
#include "page_outline.h"
#include "png_pixels.h"
#include "text_lines.h"
#include "vector_dispatch.h"

namespace {

template <typename Result> void set_error(Result *out, int32_t status, const char *message) {
    out->status = status;
    std::strncpy(out->error, message, sizeof(out->error) - 1);
    out->error[sizeof(out->error) - 1] = '\0';
}

// Runs an entry point's `body`, every C++ exception turned into a status and its message in
// `out`: nothing may escape through the C API. Returns the status.
template <typename Result, typename Body> int32_t guarded(Result *out, Body body) {
    try {
        body();
    } catch (const cv::Exception &error) {
        set_error(out, 1, error.what());
    } catch (const std::exception &error) {
        set_error(out, 2, error.what());
    } catch (...) {
        set_error(out, 2, "unknown C++ exception");
    }
    return out->status;
}

// A file's bytes, read whole in one read of its size (a stream iterator copies it byte by byte)
// into a buffer not zeroed first.
struct FileBytes {
    std::unique_ptr<unsigned char[]> bytes;
    size_t read = 0;
    bool whole = false;  // every byte of the file was read
};

FileBytes read_file(const char *path) {
    FileBytes file_bytes;
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    const size_t size = size_t(std::max<std::streamoff>(0, file.tellg()));
    file_bytes.bytes.reset(new unsigned char[std::max<size_t>(1, size)]);
    file.seekg(0);
    file.read(reinterpret_cast<char *>(file_bytes.bytes.get()), std::streamsize(size));
    file_bytes.read = size_t(std::max<std::streamsize>(0, file.gcount()));
    file_bytes.whole = file.good() && file_bytes.read == size;
    return file_bytes;
}

// 64-bit difference hash: is each cell of a 9x8 grid brighter than its right neighbour?
RC_HOT uint64_t difference_hash(const cv::Mat &grey) {
    const std::vector<double> cells = cell_means(grey, 9, 8);
    uint64_t hash = 0;
    for (int row = 0; row < 8; ++row) {
        for (int column = 0; column < 8; ++column) hash = (hash << 1) | (cells[row * 9 + column] > cells[row * 9 + column + 1] ? 1u : 0u);
    }
    return hash;
}

// The variance of the 4-neighbour Laplacian of a side x side grid of cell means (inner cells) over
// the grid's variance: how much of the picture's layout has edges at that scale (0 when flat).
double coarse_detail(const std::vector<double> &cells, int side) {
    double sum = 0, squares = 0;
    for (const double cell : cells) { sum += cell; squares += cell * cell; }
    const double count = double(cells.size()), variance = squares / count - (sum / count) * (sum / count);
    if (variance < 1e-9) return 0;
    double laplacian_sum = 0, laplacian_squares = 0;
    for (int row = 1; row < side - 1; ++row) {
        for (int column = 1; column < side - 1; ++column) {
            const size_t at = size_t(row) * side + column;
            const double value = cells[at - side] + cells[at + side] + cells[at - 1] + cells[at + 1] - 4 * cells[at];
            laplacian_sum += value;
            laplacian_squares += value * value;
        }
    }
    const double inner = double(side - 2) * (side - 2);
    return std::max(0.0, laplacian_squares / inner - (laplacian_sum / inner) * (laplacian_sum / inner)) / variance;
}

// 48x48 cell means, stretched to the full 0-255 range: a near-blank page's cells differ by a few
// grey levels, which rounding to whole levels would drown (comparisons normalise contrast anyway).
RC_HOT void thumbnail(const cv::Mat &grey, rc_image_measures *out) {
    const std::vector<double> cells = cell_means(grey, 48, 48);
    const auto [lowest, highest] = std::minmax_element(cells.begin(), cells.end());
    const double range = std::max(1e-9, *highest - *lowest);
    out->thumbnail_range = *highest - *lowest;
    for (int cell = 0; cell < 48 * 48; ++cell) out->thumbnail[cell] = uint8_t(std::lround((cells[cell] - *lowest) * 255.0 / range));
    out->coarse_detail = coarse_detail(cells, 48);
}

// The picture at 320 px on its longer side, where ORB finds keypoints (see rc_keypoints) at that
// one scale, and a sheet's outline is traced (page_outline.h). For keypoints, both copies are
// brought to the same size first, a smaller one enlarged, so their scales differ
// by what a crop adds (a tenth, which the descriptors bear), not by the files' resolutions (a
// 400 px picture and its copy at 184 px matched at neither's size). On crops of the bench's tune
// half, three pyramid levels found one more pair of 92 and cost twice as much.
cv::Mat keypoint_frame(const cv::Mat &grey) {
    const int frame_side = 320;
    // Halved by pyrDown while twice the frame or more (a Gaussian and every other pixel: a fifth
    // of INTER_AREA's cost at other ratios), then bilinear to the frame: down by under 2x, or up.
    cv::Mat frame = grey;
    while (std::max(frame.cols, frame.rows) >= 2 * frame_side) {
        cv::Mat half;
        cv::pyrDown(frame, half);
        frame = half;
    }
    const int longer = std::max(frame.cols, frame.rows);
    if (longer != frame_side) {
        const double factor = double(frame_side) / longer;
        cv::Mat resized;
        cv::resize(frame, resized, cv::Size(std::max(1, int(std::lround(frame.cols * factor))), std::max(1, int(std::lround(frame.rows * factor)))), 0, 0, cv::INTER_LINEAR);
        frame = resized;
    }
    return frame;
}

// ORB keypoints of the 320 px frame.
void measure_keypoints(const cv::Mat &frame, rc_image_measures *out) {
    out->keypoints.frame_width = frame.cols;
    out->keypoints.frame_height = frame.rows;
    if (frame.cols < 32 || frame.rows < 32) return;
    const int most = int(sizeof(out->keypoints.descriptors) / 32);
    static thread_local cv::Ptr<cv::ORB> orb = cv::ORB::create(most, 1.2f, 1, 15, 0, 2, cv::ORB::HARRIS_SCORE, 15, 10);
    std::vector<cv::KeyPoint> keypoints;
    cv::Mat descriptors;
    orb->detectAndCompute(frame, cv::noArray(), keypoints, descriptors);
    const int count = std::min({most, int(keypoints.size()), descriptors.rows});
    for (int index = 0; index < count; ++index) {
        out->keypoints.positions[2 * index] = uint16_t(std::lround(std::clamp(keypoints[index].pt.x, 0.0f, 1023.0f) * 64));
        out->keypoints.positions[2 * index + 1] = uint16_t(std::lround(std::clamp(keypoints[index].pt.y, 0.0f, 1023.0f) * 64));
        std::memcpy(out->keypoints.descriptors + 32 * index, descriptors.ptr<uint8_t>(index), 32);
    }
    out->keypoints.count = count;
}

void measure_histogram(const cv::Mat &grey, long counts[256], rc_image_measures *out) {
    // Four interleaved histograms: runs of one grey level (paper) would otherwise wait on the
    // same counter at every pixel.
    long partial[4][256] = {{0}};
    for (int row = 0; row < grey.rows; ++row) {
        const uint8_t *pixels = grey.ptr<uint8_t>(row);
        int column = 0;
        for (; column + 4 <= grey.cols; column += 4) {
            ++partial[0][pixels[column]];
            ++partial[1][pixels[column + 1]];
            ++partial[2][pixels[column + 2]];
            ++partial[3][pixels[column + 3]];
        }
        for (; column < grey.cols; ++column) ++partial[0][pixels[column]];
    }
    for (int value = 0; value < 256; ++value) counts[value] = partial[0][value] + partial[1][value] + partial[2][value] + partial[3][value];
    const double total = double(grey.rows) * grey.cols;
    double entropy = 0, sum = 0, dark = 0, bright = 0, seen = 0;
    out->darkest_level = -1;
    out->brightest_level = 255;
    out->highlight_level = 255;
    for (int value = 0; value < 256; ++value) {
        const double count = double(counts[value]);
        sum += count * value;
        if (value < 30) dark += count;
        if (value > 225) bright += count;
        if (count > 0) {
            const double p = count / total;
            entropy -= p * std::log2(p);
        }
        const double before = seen;
        seen += count;
        if (out->darkest_level < 0 && seen >= total * 0.001) out->darkest_level = value;
        if (before < total * 0.99 && seen >= total * 0.99) out->highlight_level = value;
        if (before < total * 0.999 && seen >= total * 0.999) out->brightest_level = value;
    }
    out->mean_brightness = sum / total;
    out->dark_fraction = dark / total;
    out->bright_fraction = bright / total;
    out->clipped_fraction = double(counts[254] + counts[255]) / total;
    out->entropy = entropy;
}

// Scale first: every measure is taken at most `analysis_side` wide, so its cost and its value do
// not depend on the resolution.
cv::Mat to_analysis_scale(const cv::Mat &image, int32_t analysis_side) {
    const int longer = std::max(image.cols, image.rows);
    if (analysis_side <= 0 || longer <= analysis_side) return image;
    const double factor = double(analysis_side) / longer;
    // Under 2x, bilinear samples every source pixel's neighbourhood and costs a third of
    // INTER_AREA's general path; beyond, INTER_AREA averages so nothing aliases.
    cv::Mat small;
    if (factor >= 0.5) cv::resize(image, small, cv::Size(), factor, factor, cv::INTER_LINEAR);
    else area_resize(image, small, factor);
    return small;
}

// Everything measured on the grey image at analysis scale.
RC_HOT void measure_grey(const cv::Mat &scaled, int32_t analysis_side, rc_image_measures *out) {
    std::vector<uint8_t> content;
    measure_sharpness(scaled, out, &content);
    measure_detail_directions(scaled, content, out);
    // The blur effect says what the Laplacian cannot where it finds little detail; where it finds
    // plenty (20x the default blur_threshold: in-focus pages sit at 900 and up), it is not taken.
    if (out->sharpness < 400) measure_blur_effect(scaled, content, out); else out->blur_effect = -1;
    // The detail kept across scales speaks only for pictures that could be called blurry (under
    // 5x the default blur_threshold); it costs a float pyramid of the whole image.
    if (out->sharpness < 100) measure_detail_retention(scaled, content, out); else out->detail_retention = -1;
    long counts[256] = {0};
    measure_histogram(scaled, counts, out);
    measure_text_marks(scaled, counts, analysis_side, out);
    measure_page_lines(scaled, out);
    out->difference_hash = difference_hash(scaled);
    thumbnail(scaled, out);
    const cv::Mat frame = keypoint_frame(scaled);
    measure_keypoints(frame, out);
    // Traced only where PageOutline could take it (paper over 0.7 of an outline of a tenth of the
    // frame or more, and 50 characters of print): most photos are spared it.
    if (out->paper_share >= 0.07 && out->page_marks >= 50) measure_page_outline(frame, out);
}

RC_HOT void measure(const cv::Mat &image, ChannelOrder order, int32_t analysis_side, rc_image_measures *out) {
    out->width = image.cols;
    out->height = image.rows;
    out->channels = image.channels();

    cv::Mat eight_bit = image;
    if (image.depth() != CV_8U) {
        image.convertTo(eight_bit, CV_8U, image.depth() == CV_16U ? 1.0 / 256.0 : 1.0);
    }
    cv::Mat scaled;
    if (eight_bit.channels() == 1) {
        scaled = to_analysis_scale(eight_bit, analysis_side);
        out->colourfulness = 0;
        out->paper_share = double(cv::countNonZero(scaled > 140)) / double(std::max(1, scaled.rows * scaled.cols));
    } else {
        // Grey first, then scaled: scaling one plane costs a third of scaling three. Colour is
        // read where it was decoded.
        const bool rgb = order == ChannelOrder::rgb;
        cv::Mat colour = eight_bit;
        if (eight_bit.channels() == 4) cv::cvtColor(eight_bit, colour, rgb ? cv::COLOR_RGBA2RGB : cv::COLOR_BGRA2BGR);
        cv::Mat grey;
        cv::cvtColor(colour, grey, rgb ? cv::COLOR_RGB2GRAY : cv::COLOR_BGR2GRAY);
        scaled = to_analysis_scale(grey, analysis_side);
        measure_colour(colour, order, colour_row_step(std::max(colour.cols, colour.rows), analysis_side), out);
    }
    measure_grey(scaled, analysis_side, out);
}

RC_AVX2 void measure_avx2(const cv::Mat &image, ChannelOrder order, int32_t analysis_side, rc_image_measures *out) {
    measure(image, order, analysis_side, out);
}

// Everything measured, by the AVX2 build of the hot loops where the processor has it.
void measure_image(const cv::Mat &image, ChannelOrder order, int32_t analysis_side, rc_image_measures *out) {
    if (rc_has_avx2()) measure_avx2(image, order, analysis_side, out); else measure(image, order, analysis_side, out);
}

RC_AVX2 unsigned char *png_pixels_avx2(const unsigned char *data, size_t size, size_t most_pixels, int *width,
                                       int *height, int *channels, size_t *row_bytes) {
    return png_pixels(data, size, most_pixels, width, height, channels, row_bytes);
}

unsigned char *decode_png(const unsigned char *data, size_t size, size_t most_pixels, int *width, int *height,
                          int *channels, size_t *row_bytes) {
    return rc_has_avx2() ? png_pixels_avx2(data, size, most_pixels, width, height, channels, row_bytes)
                         : png_pixels(data, size, most_pixels, width, height, channels, row_bytes);
}

// A file's pixels decoded without OpenCV: a JPEG by libjpeg (see jpeg_bgr) at 1/`jpeg_reduction`
// of its size, the common PNG by libdeflate (see png_pixels), a GIF's first frame by giflib (see
// gif_pixels), HEIC and AVIF by libheif (see heif_pixels; OpenCV 4.6 reads neither). A grey
// image stays grey, so "grayscale" means a colour file holding a grey picture, not a grey scan.
// `image` is empty when none of them took the file: OpenCV's turn.
struct OwnDecoding {
    unsigned char *pixels = nullptr;  // malloc'd; `image` lies over it
    cv::Mat image;
    ChannelOrder order = ChannelOrder::bgr;
    OwnDecoding() = default;
    OwnDecoding(const OwnDecoding &) = delete;
    OwnDecoding &operator=(const OwnDecoding &) = delete;
    ~OwnDecoding() { std::free(pixels); }
};

void decode_own(const unsigned char *data, size_t size, int jpeg_reduction, OwnDecoding *decoded) {
    const size_t most_pixels = size_t(1) << 30;
    int width = 0, height = 0, components = 0;
    size_t row_bytes = cv::Mat::AUTO_STEP;
    if (size >= 2 && data[0] == 0xFF && data[1] == 0xD8) {
        decoded->pixels = jpeg_bgr(data, size, jpeg_reduction > 1 ? jpeg_reduction : 1, &width, &height, &components);
    } else if (size >= 2 && data[0] == 0x89 && data[1] == 'P') {
        decoded->pixels = decode_png(data, size, most_pixels, &width, &height, &components, &row_bytes);
    } else if (size >= 4 && std::memcmp(data, "GIF8", 4) == 0) {
        decoded->pixels = gif_pixels(data, size, most_pixels, &width, &height, &components);
    } else if (is_heif(data, size)) {
        decoded->pixels = heif_pixels(data, size, most_pixels, &width, &height, &components);
    }
    if (decoded->pixels == nullptr) return;
    // A PNG's rows follow their filter bytes, in RGB(A) order (see png_pixels).
    const bool png = data[0] == 0x89;
    decoded->image = cv::Mat(height, width, CV_8UC(components), decoded->pixels + (png ? 1 : 0), row_bytes);
    if (png) decoded->order = ChannelOrder::rgb;
}

// The 64-bit hash of a file's bytes the audit finds byte-identical copies by: FNV-1a over 8-byte
// little-endian words, then over the bytes left, finished with MurmurHash3's mixer. The same
// function as DatasetAuditor.contentHash, here so the bytes read to decode need not be read again.
uint64_t content_hash(const unsigned char *bytes, size_t count) {
    uint64_t hash = 0xCBF29CE484222325ull;
    const uint64_t prime = 0x00000100000001B3ull;
    const size_t words = count / 8;
    for (size_t word = 0; word < words; ++word) {
        uint64_t value;
        std::memcpy(&value, bytes + 8 * word, 8);
        hash = (hash ^ value) * prime;
    }
    for (size_t byte = 8 * words; byte < count; ++byte) hash = (hash ^ uint64_t(bytes[byte])) * prime;
    hash ^= hash >> 33;
    hash *= 0xFF51AFD7ED558CCDull;
    hash ^= hash >> 33;
    hash *= 0xC4CEB9FE1A85EC53ull;
    hash ^= hash >> 33;
    return hash;
}

// OpenCV's image codecs, for the formats libjpeg and png_pixels leave, loaded on first need:
// linked, they would bring GDAL and ~130 other shared objects into every worker (60 ms of CPU at
// each start), for files most datasets never hold. They lie beside the OpenCV core this library
// was linked with, under the same version suffix.
using imread_function = cv::Mat (*)(const std::string &, int);

imread_function load_imread(std::string *missing) {
    static std::string failure;
    static const imread_function function = [] () -> imread_function {
        Dl_info core{};
        std::string name = "libopencv_imgcodecs.so";
        if (dladdr(reinterpret_cast<void *>(&cv::getVersionString), &core) != 0 && core.dli_fname != nullptr) {
            const std::string path = core.dli_fname;
            const size_t at = path.rfind("opencv_core");
            if (at != std::string::npos) name = path.substr(0, at) + "opencv_imgcodecs" + path.substr(at + 11);
        }
        void *library = dlopen(name.c_str(), RTLD_LAZY | RTLD_LOCAL);
        if (library == nullptr) {
            const char *why = dlerror();
            failure = why != nullptr ? why : name + ": cannot be loaded";
            return nullptr;
        }
        // cv::imread(const std::string &, int), by its name in the C++ ABI.
        void *symbol = dlsym(library, "_ZN2cv6imreadERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEi");
        if (symbol == nullptr) failure = name + ": has no cv::imread";
        return reinterpret_cast<imread_function>(symbol);
    }();
    if (function == nullptr && missing != nullptr) *missing = failure;
    return function;
}

// The file decoded by OpenCV's codecs; empty, with the status and message set in `out`, when the
// codecs cannot be loaded (3) or cannot read the file (1).
template <typename Result> cv::Mat opencv_decode(const char *path, int flags, Result *out) {
    std::string missing;
    const imread_function imread = load_imread(&missing);
    if (imread == nullptr) {
        set_error(out, 3, missing.c_str());
        return cv::Mat();
    }
    cv::Mat image = imread(path, flags);
    if (image.empty()) set_error(out, 1, "the decoder could not read this file");
    return image;
}

}  // namespace

extern "C" int32_t rc_measure_image(const char *path, int32_t analysis_side, int32_t reduction, rc_image_measures *out) {
    if (out == nullptr) return 2;
    std::memset(out, 0, sizeof(*out));
    // Every image allocates buffers of megabytes, which glibc maps afresh (and the kernel zeroes,
    // page by page) each time and unmaps once freed: 340,000 page faults for the 1,990 images of
    // the audit bench's tune3 half. Kept in the heap, up to 128 MB free, they are reused: 58,000.
    // Only a buffer past 64 MB (a 21-megapixel image) is mapped apart.
    static const bool buffers_kept = (mallopt(M_MMAP_THRESHOLD, 64 << 20), mallopt(M_TRIM_THRESHOLD, 128 << 20), true);
    (void)buffers_kept;
    if (path == nullptr) {
        set_error(out, 2, "no path");
        return out->status;
    }
    return guarded(out, [&] {
        // The whole file; its hash is taken here, so the audit need not read it again.
        FileBytes file = read_file(path);
        std::unique_ptr<unsigned char[]> &bytes = file.bytes;
        const size_t read = file.read;
        const bool whole = file.whole;
        const unsigned char *data = bytes.get();
        if (whole) {
            out->content_hash = content_hash(data, read);
            out->content_hashed = 1;
        }
        {
            OwnDecoding decoded;
            decode_own(data, read, reduction, &decoded);
            if (!decoded.image.empty()) {
                measure_image(decoded.image, decoded.order, analysis_side, out);
                out->status = 0;
                return;
            }
        }
        // What the own decoders left (CMYK, palettes, corrupt files) and every other format:
        // OpenCV, which reads the file itself (the bytes read here are let go first). Reduced
        // decoding keeps a grey JPEG grey (IMREAD_ANYCOLOR). EXIF orientation is the header
        // check's to report: pixels are measured as stored.
        bytes.reset();
        int flags = cv::IMREAD_UNCHANGED;
        if (reduction == 2) flags = cv::IMREAD_REDUCED_GRAYSCALE_2 | cv::IMREAD_ANYCOLOR | cv::IMREAD_IGNORE_ORIENTATION;
        if (reduction == 4) flags = cv::IMREAD_REDUCED_GRAYSCALE_4 | cv::IMREAD_ANYCOLOR | cv::IMREAD_IGNORE_ORIENTATION;
        if (reduction == 8) flags = cv::IMREAD_REDUCED_GRAYSCALE_8 | cv::IMREAD_ANYCOLOR | cv::IMREAD_IGNORE_ORIENTATION;
        const cv::Mat image = opencv_decode(path, flags, out);
        if (image.empty()) return;
        measure_image(image, ChannelOrder::bgr, analysis_side, out);
        out->status = 0;
    });
}

namespace {

// A decoded picture as 8-bit BGR, for a thumbnail: grey spread over three channels, alpha left
// out, deeper samples scaled down.
cv::Mat bgr8(const cv::Mat &image, ChannelOrder order) {
    cv::Mat eight = image;
    if (image.depth() == CV_16U) image.convertTo(eight, CV_8U, 1.0 / 257);
    else if (image.depth() == CV_32F || image.depth() == CV_64F) image.convertTo(eight, CV_8U, 255);
    else if (image.depth() != CV_8U) image.convertTo(eight, CV_8U);
    cv::Mat bgr;
    if (eight.channels() < 3) {
        cv::Mat grey;
        cv::extractChannel(eight, grey, 0);
        cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
    } else {
        // The first three channels, blue first.
        bgr.create(eight.size(), CV_8UC3);
        const int from_to[] = {channel_of(0, order), 0, 1, 1, channel_of(2, order), 2};
        cv::mixChannels(&eight, 1, &bgr, 1, from_to, 3);
    }
    return bgr;
}

}  // namespace

extern "C" int32_t rc_image_thumbnail(const char *path, int32_t side, uint8_t *jpeg_out, int32_t capacity,
                                      rc_thumbnail *out) {
    if (out == nullptr) return 2;
    std::memset(out, 0, sizeof(*out));
    if (path == nullptr || jpeg_out == nullptr || capacity <= 0 || side < 16 || side > 512) {
        set_error(out, 2, path == nullptr || jpeg_out == nullptr ? "no path or buffer" : "side must be 16 to 512");
        return out->status;
    }
    return guarded(out, [&] {
        FileBytes file = read_file(path);
        const unsigned char *data = file.bytes.get();
        // A JPEG decoded by libjpeg at the smallest eighth still at least `side` on its longer side.
        int reduction = 1;
        if (file.read >= 2 && data[0] == 0xFF && data[1] == 0xD8) {
            int width = 0, height = 0;
            jpeg_dimensions(data, file.read, &width, &height);
            reduction = rc_jpeg_reduction(width, height, (side * 4 + 2) / 3);
        }
        OwnDecoding decoded;
        decode_own(data, file.read, reduction, &decoded);
        cv::Mat bgr;
        if (!decoded.image.empty()) bgr = bgr8(decoded.image, decoded.order);
        if (bgr.empty()) {
            file.bytes.reset();
            const cv::Mat image = opencv_decode(path, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION, out);
            if (image.empty()) return;
            bgr = bgr8(image, ChannelOrder::bgr);
        }
        const double scale = double(side) / double(std::max(bgr.cols, bgr.rows));
        cv::Mat shown = bgr;
        if (scale < 1) {
            const cv::Size size(std::max(1, int(std::lround(bgr.cols * scale))),
                                std::max(1, int(std::lround(bgr.rows * scale))));
            cv::resize(bgr, shown, size, 0, 0, cv::INTER_AREA);
        }
        const size_t written =
            jpeg_encode_bgr(shown.data, shown.cols, shown.rows, shown.step, 80, jpeg_out, size_t(capacity));
        if (written == 0) {
            set_error(out, 2, "the thumbnail could not be encoded");
            return;
        }
        out->width = shown.cols;
        out->height = shown.rows;
        out->size = int32_t(written);
        out->status = 0;
    });
}

extern "C" const char *rc_opencv_version(void) {
    return CV_VERSION;
}
