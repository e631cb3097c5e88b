// Decoding a GIF's first frame with giflib. OpenCV 4.6 (Debian 12's) has no GIF decoder, while
// PIL, which training pipelines read images with, has: a GIF in a dataset, or one saved under a
// .jpg name, is an image the pipeline trains on, not an unreadable file. The frame is what PIL's
// Image.open(path).convert("RGB") gives: its palette's colours (a transparent index keeps its
// own), laid on the logical screen at its offset, the rest of the screen in the background colour.
#ifndef RUNCLINIC_GIF_PIXELS_H
#define RUNCLINIC_GIF_PIXELS_H

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <gif_lib.h>

namespace gif_pixels_detail {

struct Source {
    const unsigned char *data;
    size_t size;
    size_t at;
};

inline int read_bytes(GifFileType *gif, GifByteType *into, int count) {
    Source *source = static_cast<Source *>(gif->UserData);
    const size_t taken = count <= 0 ? 0 : std::min(source->size - source->at, size_t(count));
    std::memcpy(into, source->data + source->at, taken);
    source->at += taken;
    return int(taken);
}

inline bool is_grey(const ColorMapObject *map) {
    if (map == nullptr) return true;
    for (int entry = 0; entry < map->ColorCount; ++entry) {
        const GifColorType &colour = map->Colors[entry];
        if (colour.Red != colour.Green || colour.Green != colour.Blue) return false;
    }
    return true;
}

// The rows of an interlaced frame in the order they are stored: every 8th from 0, every 8th
// from 4, every 4th from 2, every 2nd from 1.
inline std::vector<int> stored_row_order(int rows, bool interlaced) {
    std::vector<int> order;
    order.reserve(size_t(rows));
    if (!interlaced) {
        for (int row = 0; row < rows; ++row) order.push_back(row);
        return order;
    }
    static const int starts[] = {0, 4, 2, 1}, steps[] = {8, 8, 4, 2};
    for (int pass = 0; pass < 4; ++pass) {
        for (int row = starts[pass]; row < rows; row += steps[pass]) order.push_back(row);
    }
    return order;
}

}  // namespace gif_pixels_detail

// Decodes the first frame of `data` when it is a GIF, into a malloc'd buffer the caller frees:
// BGR, or one grey channel when every colour of its maps is grey (as a grey PNG stays grey, so
// that "grayscale" means a colour file holding a grey picture). Rows the file stops short of are
// grey (128), as libjpeg leaves a cut-off JPEG's. Returns nullptr when it is not a GIF, has no
// frame or no colour map, its screen is over `most_pixels` pixels, not one row could be read, or
// its frame is damaged.
static unsigned char *gif_pixels(const unsigned char *data, size_t size, size_t most_pixels, int *width, int *height,
                                 int *channels) {
    using namespace gif_pixels_detail;
    if (size < 13 || std::memcmp(data, "GIF8", 4) != 0) return nullptr;
    Source source{data, size, 0};
    int error = 0;
    GifFileType *gif = DGifOpen(&source, read_bytes, &error);
    if (gif == nullptr) return nullptr;
    struct Close {
        GifFileType *gif;
        ~Close() {
            int ignored = 0;
            DGifCloseFile(gif, &ignored);
        }
    } close{gif};
    const int columns = gif->SWidth, rows = gif->SHeight;
    if (columns <= 0 || rows <= 0 || size_t(columns) * size_t(rows) > most_pixels) return nullptr;

    // The first image's descriptor; extensions before it (comments, animation controls) skipped.
    for (bool found = false; !found;) {
        GifRecordType record = UNDEFINED_RECORD_TYPE;
        if (DGifGetRecordType(gif, &record) == GIF_ERROR) return nullptr;
        if (record == IMAGE_DESC_RECORD_TYPE) {
            if (DGifGetImageDesc(gif) == GIF_ERROR) return nullptr;
            found = true;
        } else if (record == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType *extension = nullptr;
            if (DGifGetExtension(gif, &code, &extension) == GIF_ERROR) return nullptr;
            while (extension != nullptr) {
                if (DGifGetExtensionNext(gif, &extension) == GIF_ERROR) return nullptr;
            }
        } else {
            return nullptr;  // the trailer, or anything else, before a frame
        }
    }
    const ColorMapObject *map = gif->Image.ColorMap != nullptr ? gif->Image.ColorMap : gif->SColorMap;
    if (map == nullptr || map->ColorCount <= 0) return nullptr;
    const int components = is_grey(map) && is_grey(gif->SColorMap) ? 1 : 3;

    const size_t pixel_count = size_t(columns) * size_t(rows);
    unsigned char *pixels = static_cast<unsigned char *>(std::malloc(pixel_count * size_t(components)));
    if (pixels == nullptr) return nullptr;
    auto paint = [&](unsigned char *at, const GifColorType &colour) {
        if (components == 1) {
            at[0] = colour.Red;
        } else {
            at[0] = colour.Blue;
            at[1] = colour.Green;
            at[2] = colour.Red;
        }
    };
    // The screen outside the frame: the global map's background colour, or black.
    GifColorType background{0, 0, 0};
    if (gif->SColorMap != nullptr && gif->SBackGroundColor >= 0 && gif->SBackGroundColor < gif->SColorMap->ColorCount) {
        background = gif->SColorMap->Colors[gif->SBackGroundColor];
    }
    for (size_t pixel = 0; pixel < pixel_count; ++pixel) paint(pixels + pixel * size_t(components), background);

    // The frame's rows, in the order they are stored, clipped to the screen.
    const GifImageDesc &frame = gif->Image;
    if (frame.Width <= 0 || frame.Height <= 0 || frame.Width > (1 << 16) || frame.Height > (1 << 16)) {
        std::free(pixels);
        return nullptr;
    }
    std::vector<GifPixelType> line(size_t(frame.Width));
    std::vector<bool> painted(size_t(frame.Height), false);
    // A frame that stops short is cut off when the file is (it lacks the trailer, as the header
    // check says; ImageHeader.swift): its missing rows are grey. Otherwise it is damaged (PIL fails
    // on it as well), and so unreadable. So is LZW data that runs on past the frame's rows, where
    // the next record (another frame, an extension, the trailer) should start.
    size_t end = size;
    while (end > 0 && data[end - 1] == 0) --end;
    const bool cut_off = end == 0 || data[end - 1] != 0x3B;
    int rows_read = 0;
    bool damaged = false;
    for (const int row : stored_row_order(frame.Height, frame.Interlace)) {
        if (DGifGetLine(gif, line.data(), frame.Width) == GIF_ERROR) {
            damaged = !cut_off || gif->Error != D_GIF_ERR_READ_FAILED;
            break;
        }
        painted[size_t(row)] = true;
        ++rows_read;
        const int y = frame.Top + row;
        if (y < 0 || y >= rows) continue;
        unsigned char *target = pixels + size_t(y) * size_t(columns) * size_t(components);
        for (int x = 0; x < frame.Width; ++x) {
            const int column = frame.Left + x;
            if (column < 0 || column >= columns) continue;
            const int index = line[size_t(x)] < map->ColorCount ? line[size_t(x)] : 0;
            paint(target + size_t(column) * size_t(components), map->Colors[index]);
        }
    }
    if (rows_read == frame.Height) {
        GifRecordType record = UNDEFINED_RECORD_TYPE;
        damaged = DGifGetRecordType(gif, &record) == GIF_ERROR && gif->Error != D_GIF_ERR_READ_FAILED;
    }
    if (rows_read == 0 || damaged) {
        std::free(pixels);
        return nullptr;
    }
    // A cut-off file: the frame's rows it never reached are grey.
    const GifColorType grey{128, 128, 128};
    for (int row = 0; row < frame.Height; ++row) {
        const int y = frame.Top + row;
        if (painted[size_t(row)] || y < 0 || y >= rows) continue;
        for (int x = std::max(0, frame.Left); x < std::min(columns, frame.Left + frame.Width); ++x) {
            paint(pixels + (size_t(y) * size_t(columns) + size_t(x)) * size_t(components), grey);
        }
    }
    *width = columns;
    *height = rows;
    *channels = components;
    return pixels;
}

#endif
