// Decoding a JPEG with libjpeg straight into BGR, for the image library and the bench's decode
// floor alike (bench/decode_floor.cpp), so the floor decodes exactly as runclinic does.
#ifndef RUNCLINIC_JPEG_BGR_H
#define RUNCLINIC_JPEG_BGR_H

#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstdlib>

#include <jpeglib.h>

// libjpeg reports a fatal error by calling error_exit, which must not return: it jumps back to
// jpeg_bgr. Warnings (a file cut short decodes with its missing part grey) are not printed.
namespace {
struct JpegFailure {
    jpeg_error_mgr manager;
    jmp_buf back;
};
}  // namespace
extern "C" {
static void rc_jpeg_failed(j_common_ptr info) { longjmp(reinterpret_cast<JpegFailure *>(info->err)->back, 1); }
static void rc_jpeg_quiet(j_common_ptr, int) {}
}

// Decodes a JPEG of one component, or three in YCbCr, at 1/`reduction` of its size, straight into
// BGR: OpenCV 4.6 asks libjpeg for RGB and swaps every pixel itself, which took longer than the
// decoding (the same pixels, bit for bit, in 40% of the time at full size). Returns a malloc'd
// buffer (the caller frees it), or nullptr when this path does not decode the file (CMYK,
// corrupt): OpenCV then tries. No C++ object lives here, so the jump back from libjpeg skips no
// destructor.
static unsigned char *jpeg_bgr(const unsigned char *data, size_t size, int reduction, int *width, int *height,
                                 int *components) {
    jpeg_decompress_struct info;
    JpegFailure failure;
    unsigned char *volatile pixels = nullptr;
    info.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = rc_jpeg_failed;
    failure.manager.emit_message = rc_jpeg_quiet;
    if (setjmp(failure.back)) {
        jpeg_destroy_decompress(&info);
        std::free(pixels);
        return nullptr;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    if (info.num_components == 3 && (info.jpeg_color_space == JCS_YCbCr || info.jpeg_color_space == JCS_RGB)) {
        info.out_color_space = JCS_EXT_BGR;
    } else if (info.num_components == 1) {
        info.out_color_space = JCS_GRAYSCALE;
    } else {
        jpeg_destroy_decompress(&info);
        return nullptr;
    }
    info.scale_num = 1;
    info.scale_denom = (unsigned int)reduction;
    jpeg_start_decompress(&info);
    const size_t stride = size_t(info.output_width) * size_t(info.output_components);
    pixels = static_cast<unsigned char *>(std::malloc(stride * info.output_height));
    if (pixels == nullptr) {
        jpeg_destroy_decompress(&info);
        return nullptr;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + stride * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    *width = int(info.output_width);
    *height = int(info.output_height);
    *components = info.output_components;
    jpeg_destroy_decompress(&info);
    return pixels;
}

// A JPEG's size from its header, as libjpeg reads it ({0, 0} when it cannot): the bench's tools
// pick the reduction the audit does from it (see ImageMeasurer).
static inline void jpeg_dimensions(const unsigned char *data, size_t size, int *width, int *height) {
    jpeg_decompress_struct info;
    JpegFailure failure;
    info.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = rc_jpeg_failed;
    failure.manager.emit_message = rc_jpeg_quiet;
    *width = 0;
    *height = 0;
    if (setjmp(failure.back)) {
        jpeg_destroy_decompress(&info);
        return;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    *width = int(info.image_width);
    *height = int(info.image_height);
    jpeg_destroy_decompress(&info);
}

#endif
