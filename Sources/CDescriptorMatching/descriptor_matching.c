#include "descriptor_matching.h"

#include <stdlib.h>
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

#if defined(__x86_64__)
#include <immintrin.h>

// Eight candidates at a time: their descriptors' four 64-bit words are laid out word by word
// (`words[k]` holds word k of the block's eight candidates), so one XOR and one VPOPCNTQ per
// word give eight distances. Each lane keeps its own nearest, second nearest and the nearest's
// index; the lanes are then merged, and the candidates after the last whole block follow one by
// one. The answers are those of NEAREST_BODY exactly: the nearest is the first of the least
// distance, and the runner-up the second least of all distances (the least again on a tie).
__attribute__((target("avx512f,avx512vpopcntdq"))) static void nearest_avx512(
    const uint8_t *first, int32_t first_count, const uint8_t *second, int32_t second_count,
    int32_t *nearest, int32_t *distance, int32_t *runner_up) {
    const int32_t blocks = second_count / 8;
    // Candidates word by word, a block at a time (8 x 4 words of 8 bytes = 256 bytes a block).
    uint64_t transposed_on_stack[4 * 8 * 64];
    uint64_t *transposed = blocks <= 64 ? transposed_on_stack : (uint64_t *)malloc((size_t)blocks * 4 * 8 * sizeof(uint64_t));
    if (transposed == 0) {
        nearest_popcount(first, first_count, second, second_count, nearest, distance, runner_up);
        return;
    }
    for (int32_t block = 0; block < blocks; ++block) {
        for (int32_t lane = 0; lane < 8; ++lane) {
            uint64_t words[4];
            memcpy(words, second + 32 * (8 * block + lane), 32);
            for (int32_t k = 0; k < 4; ++k) transposed[(block * 4 + k) * 8 + lane] = words[k];
        }
    }
    const __m512i lane_offsets = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    for (int32_t i = 0; i < first_count; ++i) {
        uint64_t query[4];
        memcpy(query, first + 32 * i, 32);
        const __m512i q0 = _mm512_set1_epi64((long long)query[0]), q1 = _mm512_set1_epi64((long long)query[1]);
        const __m512i q2 = _mm512_set1_epi64((long long)query[2]), q3 = _mm512_set1_epi64((long long)query[3]);
        __m512i best = _mm512_set1_epi64(257), second_best = _mm512_set1_epi64(257), best_index = _mm512_set1_epi64(-1);
        for (int32_t block = 0; block < blocks; ++block) {
            const uint64_t *words = transposed + block * 32;
            __m512i d = _mm512_popcnt_epi64(_mm512_xor_si512(q0, _mm512_loadu_si512(words)));
            d = _mm512_add_epi64(d, _mm512_popcnt_epi64(_mm512_xor_si512(q1, _mm512_loadu_si512(words + 8))));
            d = _mm512_add_epi64(d, _mm512_popcnt_epi64(_mm512_xor_si512(q2, _mm512_loadu_si512(words + 16))));
            d = _mm512_add_epi64(d, _mm512_popcnt_epi64(_mm512_xor_si512(q3, _mm512_loadu_si512(words + 24))));
            const __mmask8 closer = _mm512_cmplt_epi64_mask(d, best);
            // Where closer: the old nearest becomes the runner-up; elsewhere the runner-up takes d
            // if d is under it.
            second_best = _mm512_mask_mov_epi64(_mm512_min_epi64(second_best, d), closer, best);
            best = _mm512_mask_mov_epi64(best, closer, d);
            best_index = _mm512_mask_mov_epi64(
                best_index, closer, _mm512_add_epi64(lane_offsets, _mm512_set1_epi64(8LL * block)));
        }
        int64_t lane_best[8], lane_second[8], lane_index[8];
        _mm512_storeu_si512(lane_best, best);
        _mm512_storeu_si512(lane_second, second_best);
        _mm512_storeu_si512(lane_index, best_index);
        int32_t winner = -1;
        for (int32_t lane = 0; lane < 8; ++lane) {
            if (lane_index[lane] < 0) continue;
            if (winner < 0 || lane_best[lane] < lane_best[winner]
                || (lane_best[lane] == lane_best[winner] && lane_index[lane] < lane_index[winner]))
                winner = lane;
        }
        int32_t b = 257, s2 = 257, bi = -1;
        if (winner >= 0) {
            b = (int32_t)lane_best[winner];
            bi = (int32_t)lane_index[winner];
            s2 = (int32_t)lane_second[winner];
            for (int32_t lane = 0; lane < 8; ++lane) {
                if (lane != winner && lane_best[lane] < s2) s2 = (int32_t)lane_best[lane];
            }
        }
        for (int32_t j = 8 * blocks; j < second_count; ++j) {
            uint64_t candidate[4];
            memcpy(candidate, second + 32 * j, 32);
            const int32_t d = __builtin_popcountll(query[0] ^ candidate[0]) + __builtin_popcountll(query[1] ^ candidate[1])
                + __builtin_popcountll(query[2] ^ candidate[2]) + __builtin_popcountll(query[3] ^ candidate[3]);
            if (d < b) {
                s2 = b;
                b = d;
                bi = j;
            } else if (d < s2) {
                s2 = d;
            }
        }
        nearest[i] = bi;
        distance[i] = b;
        runner_up[i] = s2;
    }
    if (transposed != transposed_on_stack) free(transposed);
}
#endif

void rc_nearest_descriptors(
    const uint8_t *first, int32_t first_count, const uint8_t *second, int32_t second_count,
    int32_t *nearest, int32_t *distance, int32_t *runner_up) {
    if (first == 0 || second == 0 || first_count <= 0) return;
    if (second_count < 0) second_count = 0;
#if defined(__x86_64__)
    if (second_count >= 8 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq")) {
        nearest_avx512(first, first_count, second, second_count, nearest, distance, runner_up);
        return;
    }
    if (__builtin_cpu_supports("popcnt")) {
        nearest_popcount(first, first_count, second, second_count, nearest, distance, runner_up);
        return;
    }
#endif
    nearest_portable(first, first_count, second, second_count, nearest, distance, runner_up);
}
