// The patches the orientation network reads (text_orientation_model.h), as the audit takes them:
// each file of a list decoded and measured as rc_measure_image does it, with the patches of every
// page whose lines are turned level kept. Training data for bench/orientation/train.py.
//
//     clang++ -O2 -std=c++17 -ISources/CImageInspectionAPI/include \
//         bench/orientation/orientation_patches.cpp -o /tmp/orientation_patches \
//         $(pkg-config --cflags --libs opencv4) -ljpeg -ldeflate -lgif -lheif -ldl
//     /tmp/orientation_patches FILES.txt OUT   # writes OUT.f32 (48x48 floats each) and OUT.jsonl
#include "../../Sources/CImageInspection/image_inspection.cpp"

#include <cstdio>
#include <string>

namespace {
// A measure for JSON: null when it is not a number.
std::string number(double value) { return std::isfinite(value) ? std::to_string(value) : "null"; }
}  // namespace

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    const int side = 1024, per_page = argc > 3 ? std::stoi(argv[3]) : 32;
    std::ifstream list(argv[1]);
    std::FILE *patches = std::fopen((std::string(argv[2]) + ".f32").c_str(), "wb");
    std::FILE *index = std::fopen((std::string(argv[2]) + ".jsonl").c_str(), "w");
    if (patches == nullptr || index == nullptr) return 1;
    OrientationPatchSink sink;
    sink.per_page = per_page;
    orientation_patch_sink = &sink;
    size_t written = 0;
    for (std::string path; list >> path;) {
        // The reduction the audit decodes a JPEG at (ImageMeasurer): its longer side stays 3/4 of
        // the analysis side or more.
        std::ifstream file(path, std::ios::binary);
        const std::vector<unsigned char> data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        int width = 0, height = 0, reduction = 1;
        if (data.size() > 2 && data[0] == 0xFF && data[1] == 0xD8) jpeg_dimensions(data.data(), data.size(), &width, &height);
        while (reduction < 8 && std::max(width, height) / (reduction * 2) >= side * 3 / 4) reduction *= 2;
        sink.patches.clear();
        rc_image_measures out;
        if (rc_measure_image(path.c_str(), side, reduction, &out) != 0 || sink.patches.empty()) continue;
        const size_t count = sink.patches.size() / (orientation_patch_side * orientation_patch_side);
        std::fwrite(sink.patches.data(), sizeof(float), sink.patches.size(), patches);
        std::fprintf(index,
                     "{\"path\": \"%s\", \"first\": %zu, \"count\": %zu, \"angle\": %s, \"agreement\": %s, "
                     "\"marks\": %d, \"upright\": %s, \"upside_down\": %s}\n",
                     path.c_str(), written, count, number(out.page_line_angle).c_str(),
                     number(out.page_line_agreement).c_str(), out.page_marks, number(out.page_upright).c_str(),
                     number(out.page_upside_down).c_str());
        written += count;
    }
    std::fclose(patches);
    std::fclose(index);
    return 0;
}
