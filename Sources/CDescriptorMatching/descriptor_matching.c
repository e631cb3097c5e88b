#include "descriptor_matching.h"

#include <string.h>

// The loop is compiled twice: with the popcount instruction where the processor has it (checked
// once at run time), and portably.
#define NEAREST_BODY                                                                              \
    for (int32_t i = 0; i < first_count; ++i) {                                                   \
        uint64_t query[4];                                                                        \
        memcpy(query, first + 32 * i, 32);                                                        \
        int32_t best = 257, second_best = 257, best_index = -1;                                   \
        for (int32_t j = 0; j < second_count; ++j) {                                              \
            uint64_t candidate[4];                                                                \
            memcpy(candidate, second + 32 * j, 32);                                               \
            const int32_t d = __builtin_popcountll(query[0] ^ candidate[0])                       \
                + __builtin_popcountll(query[1] ^ candidate[1])                                   \
                + __builtin_popcountll(query[2] ^ candidate[2])                                   \
                + __builtin_popcountll(query[3] ^ candidate[3]);                                  \
            if (d < best) {                                                                       \
                second_best = best;                                                               \
                best = d;                                                                         \
                best_index = j;                                                                   \
            } else if (d < second_best) {                                                         \
                second_best = d;                                                                  \
            }                                                                                     \
        }                                                                                         \
        nearest[i] = best_index;                                                                  \
        distance[i] = best;                                                                       \
        runner_up[i] = second_best;                                                               \
    }

static void nearest_portable(
    const uint8_t *first, int32_t first_count, const uint8_t *second, int32_t second_count,
    int32_t *nearest, int32_t *distance, int32_t *runner_up) {
    NEAREST_BODY
}

#if defined(__x86_64__)
__attribute__((target("popcnt"))) static void nearest_popcount(
    const uint8_t *first, int32_t first_count, const uint8_t *second, int32_t second_count,
    int32_t *nearest, int32_t *distance, int32_t *runner_up) {
    NEAREST_BODY
}
#endif

void rc_nearest_descriptors(
    const uint8_t *first, int32_t first_count, const uint8_t *second, int32_t second_count,
    int32_t *nearest, int32_t *distance, int32_t *runner_up) {
    if (first == 0 || second == 0 || first_count <= 0) return;
    if (second_count < 0) second_count = 0;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("popcnt")) {
        nearest_popcount(first, first_count, second, second_count, nearest, distance, runner_up);
        return;
    }
#endif
    nearest_portable(first, first_count, second, second_count, nearest, distance, runner_up);
}
