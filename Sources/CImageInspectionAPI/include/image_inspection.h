#ifndef RUNCLINIC_IMAGE_INSPECTION_H
#define RUNCLINIC_IMAGE_INSPECTION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// ORB keypoints of a grey image scaled to 320 px on its longer side (the keypoint frame,
/// `frame_width` x `frame_height`): up to 128, each its position (x, y, in 1/64ths of a pixel of
/// that frame) and its 256-bit descriptor. A copy cropped, resized or re-encoded keeps most of
/// them in one geometry, which aligns the pair for the near-duplicate check where whole-frame
/// thumbnails disagree.
typedef struct {
    int32_t count;
    int32_t frame_width;
    int32_t frame_height;
    uint16_t positions[256];
    uint8_t descriptors[4096];
} rc_keypoints;

/// What decoding and measuring one image found. All measures are taken on a greyscale copy
/// scaled so its longer side is at most `analysis_side` pixels, so they do not depend on resolution.
typedef struct {
    /// 0: measured; 1: the decoder could not read it; 2: an internal error; 3: an image library
    /// this format needs could not be loaded (see `error`).
    int32_t status;
    char error[256];
    /// The hash of the file's bytes (see DatasetAuditor.contentHash), when `content_hashed` is 1:
    /// the whole file was read to decode it, so the audit need not read it again.
    uint64_t content_hash;
    int32_t content_hashed;
    int32_t width;
    int32_t height;
    int32_t channels;
    /// Variance of the Laplacian of the scaled image (sharpness of the whole image).
    double laplacian_variance;
    /// Laplacian variance of the sharpest regions: the 95th percentile over 64x64 tiles that hold
    /// content. A photo with a sharp subject and a soft background is sharp by this measure.
    double sharpness;
    /// Share of pixels on an edge (|Laplacian| over 24): separates flat clean pages from content.
    double edge_density;
    /// Mean brightness (0-255) and the shares of pixels under 30 and over 225.
    double mean_brightness;
    double dark_fraction;
    double bright_fraction;
    /// Shannon entropy of the 256-bin histogram, in bits (0-8).
    double entropy;
    /// The grey levels under which 0.1% and 99.9% of the pixels lie: a washed-out image has no
    /// dark pixel left, a white page keeps its ink.
    double darkest_level;
    double brightest_level;
    /// The grey level under which 99% of the pixels lie: the image's highlights. A night scene
    /// keeps its lights and lit sky; a photo underexposed loses them with everything else.
    double highlight_level;
    /// Characters of a document (light paper, dark ink, split by one threshold), counted at half
    /// the analysis side whatever the decoded size; 0 when not a document or under 30.
    int32_t text_marks;
    /// Mean absolute difference between colour channels (0 for grey images).
    double colourfulness;
    /// 64-bit difference hash of a 9x8 thumbnail (near-duplicates differ in few bits).
    uint64_t difference_hash;
    /// 48x48 grey thumbnail, stretched to 0-255: confirms a near-duplicate the hash suggests
    /// (documents that share a layout hash alike; at 48x48, where words show, their thumbnails,
    /// compared after normalising brightness and contrast, do not).
    uint8_t thumbnail[2304];
    /// Grey levels between the thumbnail's darkest and brightest cells before stretching.
    double thumbnail_range;
    /// The sharpness of the sharpest regions relative to their own contrast: the 95th percentile
    /// over content tiles of the Laplacian's variance over the grey variance. A soft, dim photo
    /// with a few crisp edges keeps its ratio; a blurred one loses it at any contrast.
    double sharpness_ratio;
    /// How much the colour varies across the image: the largest spread (2nd to 98th percentile)
    /// of the two opponent colour channels' 16x16 cell means (0 for grey images). A flat wall
    /// varies little; a picture whose regions differ only in hue (equal grey) varies a lot.
    double colour_spread;
    /// Text lines, from ink found against its local background (a photographed page on a table,
    /// in uneven light, as well as a scan): the characters on the paper; their line angle (the
    /// nearest neighbour of a character lies along its line, so the directions to nearest
    /// neighbours peak there: degrees in [0, 180), image coordinates, y down); and the share of
    /// those directions within 12 degrees of it. These decide a page's orientation and lean.
    int32_t page_marks;
    double page_line_angle;
    double page_line_agreement;
    /// Once the lines are turned level: (ink above the lines' x-height bands - ink below) / all the
    /// lines' ink: positive for upright Latin text, negative upside down, near 0 for capitals and
    /// digits alone (the same either way up); NaN when not a page or too few lines.
    double page_upright;
    /// Once the lines are turned level, how much more the lines' right ends fall short of the
    /// right margin than their left ends stand off the left one, over the text's width: positive
    /// for flush-left text (paragraphs' last lines, code, ragged right), negative upside down;
    /// NaN when not a page or under 8 lines.
    double page_alignment;
    /// Once the lines are turned level, a small network's mean logit over patches of its
    /// characters (text_orientation_model.h): positive when the text stands upside down, negative
    /// upright. Read only where the ascenders (page_upright) do not settle it: under 0.015
    /// upright, and under 0.03 upside down (0.015 for lines that run down the page); NaN
    /// elsewhere, and when not a page.
    double page_upside_down;
    /// The blur effect of the sharpest regions (Crete et al. 2007): how much of the differences
    /// between neighbouring pixels survives a 9-pixel box blur, taken away, over 64x64 tiles with
    /// content, the 5th percentile (the sharpest tiles). 0 crisp, 1 already as soft as the box;
    /// unlike the Laplacian it does not depend on contrast. -1 when no tile has content, or when
    /// the sharpest regions' Laplacian variance is 400 or more (plenty of detail: not taken).
    double blur_effect;
    /// Detail kept from a quarter of the analysis scale to half of it: in the tenth of the 64x64
    /// tiles with content that hold the most detail at a quarter, the lower median of their Laplacian
    /// variance at half over that at a quarter. A picture in focus holds detail in proportion at
    /// every scale (0.3-1.7), a soft subject too (petals, cloud, grain); a blur of a few pixels
    /// takes the finer scale's and leaves the coarser's (under 0.2). -1 when not measured: no
    /// tile with content, the sharpest regions' Laplacian variance is 100 or more, or those tiles
    /// hold under 10 of it at a quarter (noise, whose proportion says nothing).
    double detail_retention;
    /// Detail along the direction that holds the least over the direction that holds the most
    /// (four directions: across, down, both diagonals; mean squared second differences), in the
    /// quarter of the 64x64 tiles with content that hold the most; and the share of all tiles with
    /// content whose own least direction is that one, at under a quarter of their most. A camera
    /// shaken while its shutter was open takes the detail along its path in every tile (pages of
    /// the tune halves shaken by 1-2% of their frame: 0.01-0.16), where focus or a defocus disc
    /// takes every direction alike (pages: 0.26 and up). -1 when no tile has content.
    double detail_anisotropy;
    double anisotropic_share;
    /// Share of the image that looks like paper: light (grey level over 140) and neutral (both
    /// chroma channels within 12 of grey). A page fills a third or more of its photograph with it.
    double paper_share;
    /// Detail left at the coarsest scale: over the 48x48 cell means, the variance of their
    /// Laplacian over their own variance. A blur of a few pixels leaves a photo's layout crisp at
    /// 48x48; a defocus of a twentieth of the frame and more leaves only smooth gradients (0 flat).
    double coarse_detail;
    /// Share of pixels blown to white (grey level 254 or 255): highlights clipped over a large
    /// part of the picture, where a white page or a sky keeps a level or two of texture.
    double clipped_fraction;
    /// The outline of a sheet photographed on a table (page_outline.h), on the keypoints' 320 px
    /// frame: the share of the frame the largest light region covers (0 when there is no such
    /// outline: under a tenth or over nine tenths of the frame, or mostly the frame's border); its
    /// sides' mean direction, folded to within 45 degrees of level (degrees, image coordinates,
    /// y down: positive clockwise); how well the sides agree on it (1 all parallel or square to
    /// it, 0 every which way); and the share of its perimeter its four longest sides make (1 for
    /// a four-sided outline). Not traced (area 0) where paper covers under 7% of the image or
    /// fewer than 50 characters of print were found: no outline could be taken there.
    double page_outline_area;
    double page_outline_angle;
    double page_outline_agreement;
    double page_outline_four_sided;
    /// ORB keypoints of the picture (see rc_keypoints).
    rc_keypoints keypoints;
} rc_image_measures;

/// Decodes and measures the image at `path`. Never throws: every C++ exception is caught and
/// reported in `status` and `error`. `reduction` (1, 2, 4 or 8) decodes a JPEG at that fraction
/// of its size (libjpeg scales while decoding, which is far cheaper); width and height are then
/// those decoded. Returns `status`.
int32_t rc_measure_image(const char *path, int32_t analysis_side, int32_t reduction, rc_image_measures *out);

/// The `reduction` to decode a JPEG of this size at: halved while its longer side stays at least
/// three quarters of `analysis_side`, down to an eighth. Inline, so that the engine (which never
/// links the library) and the benches that time the library pick the same one.
static inline int32_t rc_jpeg_reduction(int32_t width, int32_t height, int32_t analysis_side) {
    const int32_t longer = width > height ? width : height;
    int32_t reduction = 1;
    while (reduction < 8 && longer / (reduction * 2) >= analysis_side * 3 / 4) reduction *= 2;
    return reduction;
}

/// A small colour picture of an image, for people to look at (the audit's gallery): the file
/// decoded as the audit decodes it (pixels as stored, a file cut short with its missing part
/// grey), scaled to at most `side` pixels on its longer side, as a JPEG in the caller's buffer.
typedef struct {
    /// As rc_image_measures' status (0: made; 1: undecodable; 2: internal; 3: library missing).
    int32_t status;
    char error[256];
    int32_t width;
    int32_t height;
    /// Bytes of the caller's buffer the JPEG takes.
    int32_t size;
} rc_thumbnail;

/// Makes the thumbnail of the image at `path` (`side`: 16 to 512) into `jpeg`, of `capacity`
/// bytes (3 bytes a pixel of the thumbnail and 64 KB more hold any, noise included, at the
/// quality 80 it is encoded at). Never throws. Returns `status`.
int32_t rc_image_thumbnail(const char *path, int32_t side, uint8_t *jpeg, int32_t capacity, rc_thumbnail *out);

/// The OpenCV version this library was built against, e.g. "4.6.0".
const char *rc_opencv_version(void);

/// The entry points' types, for the engine, which loads the library with dlopen and never links it.
typedef int32_t (*rc_measure_image_function)(const char *, int32_t, int32_t, rc_image_measures *);
typedef const char *(*rc_opencv_version_function)(void);
typedef int32_t (*rc_image_thumbnail_function)(const char *, int32_t, uint8_t *, int32_t, rc_thumbnail *);

#ifdef __cplusplus
}
#endif

#endif
