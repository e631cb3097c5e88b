#ifndef RUNCLINIC_IMAGE_INSPECTION_H
#define RUNCLINIC_IMAGE_INSPECTION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What decoding and measuring one image found. All measures are taken on a greyscale copy
/// scaled so its longer side is at most `analysis_side` pixels, so they do not depend on resolution.
typedef struct {
    /// 0: measured; 1: the decoder could not read it; 2: an internal error (see `error`).
    int32_t status;
    char error[256];
    int32_t width;
    int32_t height;
    int32_t channels;
    /// Variance of the Laplacian of the scaled image (sharpness).
    double laplacian_variance;
    /// Share of pixels on an edge (Canny): separates flat clean pages from blurred content.
    double edge_density;
    /// Mean brightness (0-255) and the shares of pixels under 30 and over 225.
    double mean_brightness;
    double dark_fraction;
    double bright_fraction;
    /// Shannon entropy of the 256-bin histogram, in bits (0-8).
    double entropy;
    /// Mean absolute difference between colour channels (0 for grey images).
    double colourfulness;
    /// 64-bit difference hash of a 9x8 thumbnail (near-duplicates differ in few bits).
    uint64_t difference_hash;
    /// 1,024-bit difference hash of a 33x32 thumbnail: tells apart documents that share a layout
    /// (receipts look alike at 9x8, and still at 17x16).
    uint64_t fine_hash[16];
} rc_image_measures;

/// Decodes and measures the image at `path`. Never throws: every C++ exception is caught and
/// reported in `status` and `error`. `reduction` (1, 2, 4 or 8) decodes a JPEG at that fraction
/// of its size (libjpeg scales while decoding, which is far cheaper); width and height are then
/// those decoded. Returns `status`.
int32_t rc_measure_image(const char *path, int32_t analysis_side, int32_t reduction, rc_image_measures *out);

/// The OpenCV version this library was built against, e.g. "4.6.0".
const char *rc_opencv_version(void);

/// The entry points' types, for the engine, which loads the library with dlopen and never links it.
typedef int32_t (*rc_measure_image_function)(const char *, int32_t, int32_t, rc_image_measures *);
typedef const char *(*rc_opencv_version_function)(void);

#ifdef __cplusplus
}
#endif

#endif
