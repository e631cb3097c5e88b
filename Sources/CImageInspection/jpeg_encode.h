// Encoding BGR pixels as a JPEG with libjpeg, for the gallery's thumbnails: small enough to carry
// in the page as data URIs, in colour, where the stored 48x48 grey thumbnails show neither a
// washed-out picture's colour nor a grayscale one's lack of it.
#ifndef RUNCLINIC_JPEG_ENCODE_H
#define RUNCLINIC_JPEG_ENCODE_H

#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <jpeglib.h>

#include "jpeg_bgr.h"

// Encodes `height` rows of `width` BGR pixels (`stride` bytes apart) at `quality` into `out`, of
// `capacity` bytes. Returns the bytes written, or 0 when libjpeg failed or the JPEG does not fit.
// As in jpeg_bgr, no C++ object lives here: libjpeg's errors jump back past this frame.
static size_t jpeg_encode_bgr(const unsigned char *pixels, int width, int height, size_t stride, int quality,
                              unsigned char *out, size_t capacity) {
    jpeg_compress_struct info;
    JpegFailure failure;
    // libjpeg allocates the output and grows it through this pointer; its address is handed
    // over, so it lives in memory and holds libjpeg's latest buffer after a jump back too.
    unsigned char *destination = nullptr;
    unsigned long length = 0;
    info.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = rc_jpeg_failed;
    failure.manager.emit_message = rc_jpeg_quiet;
    if (setjmp(failure.back)) {
        jpeg_destroy_compress(&info);
        std::free(destination);
        return 0;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, &destination, &length);
    info.image_width = JDIMENSION(width);
    info.image_height = JDIMENSION(height);
    info.input_components = 3;
    info.in_color_space = JCS_EXT_BGR;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = const_cast<unsigned char *>(pixels + stride * info.next_scanline);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    const size_t written = length <= capacity ? size_t(length) : 0;
    if (written > 0) std::memcpy(out, destination, written);
    jpeg_destroy_compress(&info);
    std::free(destination);
    return written;
}

#endif
