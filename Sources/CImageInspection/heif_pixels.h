// Decoding HEIF images (HEIC, as phones save their photos, and AVIF) with libheif: OpenCV 4.6 reads
// neither, and a dataset of receipts and pages photographed with a phone is often HEIC. The
// primary image is decoded as a viewer shows it (rotation and mirroring applied, HDR brought to
// 8 bits), strictly: a damaged or cut-off file is unreadable, not half a picture.
#ifndef RUNCLINIC_HEIF_PIXELS_H
#define RUNCLINIC_HEIF_PIXELS_H

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include <libheif/heif.h>

// Whether `data` starts as a HEIF file does: a file-type box whose brand libheif knows.
static bool is_heif(const unsigned char *data, size_t size) {
    if (size < 12 || std::memcmp(data + 4, "ftyp", 4) != 0) return false;
    const heif_filetype_result kind = heif_check_filetype(data, int(size < 64 ? size : 64));
    return kind == heif_filetype_yes_supported || kind == heif_filetype_yes_unsupported;
}

// Decodes the primary image of a HEIF file into a malloc'd BGR buffer the caller frees; nullptr
// when libheif cannot read it, it is over `most_pixels` pixels, or it is damaged.
static unsigned char *heif_pixels(const unsigned char *data, size_t size, size_t most_pixels, int *width, int *height,
                                  int *channels) {
    if (!is_heif(data, size)) return nullptr;
    struct Held {
        heif_context *context = heif_context_alloc();
        heif_image_handle *handle = nullptr;
        heif_image *image = nullptr;
        heif_decoding_options *options = heif_decoding_options_alloc();
        ~Held() {
            if (image != nullptr) heif_image_release(image);
            if (handle != nullptr) heif_image_handle_release(handle);
            if (options != nullptr) heif_decoding_options_free(options);
            if (context != nullptr) heif_context_free(context);
        }
    } held;
    if (held.context == nullptr || held.options == nullptr) return nullptr;
    if (heif_context_read_from_memory_without_copy(held.context, data, size, nullptr).code != heif_error_Ok) return nullptr;
    if (heif_context_get_primary_image_handle(held.context, &held.handle).code != heif_error_Ok) return nullptr;
    const int columns = heif_image_handle_get_width(held.handle), rows = heif_image_handle_get_height(held.handle);
    if (columns <= 0 || rows <= 0 || size_t(columns) * size_t(rows) > most_pixels) return nullptr;
    held.options->convert_hdr_to_8bit = 1;
    held.options->strict_decoding = 1;
    if (heif_decode_image(held.handle, &held.image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, held.options).code !=
        heif_error_Ok) {
        return nullptr;
    }
    int stride = 0;
    const uint8_t *plane = heif_image_get_plane_readonly(held.image, heif_channel_interleaved, &stride);
    const int decoded_columns = heif_image_get_width(held.image, heif_channel_interleaved);
    const int decoded_rows = heif_image_get_height(held.image, heif_channel_interleaved);
    if (plane == nullptr || decoded_columns <= 0 || decoded_rows <= 0 || stride < 3 * decoded_columns) return nullptr;
    unsigned char *pixels = static_cast<unsigned char *>(std::malloc(size_t(decoded_columns) * size_t(decoded_rows) * 3));
    if (pixels == nullptr) return nullptr;
    for (int row = 0; row < decoded_rows; ++row) {
        const uint8_t *from = plane + size_t(row) * size_t(stride);
        unsigned char *to = pixels + size_t(row) * size_t(decoded_columns) * 3;
        for (int column = 0; column < decoded_columns; ++column) {
            to[3 * column] = from[3 * column + 2];
            to[3 * column + 1] = from[3 * column + 1];
            to[3 * column + 2] = from[3 * column];
        }
    }
    *width = decoded_columns;
    *height = decoded_rows;
    *channels = 3;
    return pixels;
}

#endif
