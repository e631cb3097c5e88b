#ifndef RUNCLINIC_DESCRIPTOR_MATCHING_H
#define RUNCLINIC_DESCRIPTOR_MATCHING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// For each of the `first_count` 32-byte binary descriptors in `first`, the index of the nearest
/// of the `second_count` in `second` by Hamming distance (`nearest`), that distance (`distance`)
/// and the second-nearest's (`runner_up`, 257 when there is no second). Each output holds
/// `first_count` entries.
void rc_nearest_descriptors(
    const uint8_t *first, int32_t first_count, const uint8_t *second, int32_t second_count,
    int32_t *nearest, int32_t *distance, int32_t *runner_up);

#ifdef __cplusplus
}
#endif

#endif
