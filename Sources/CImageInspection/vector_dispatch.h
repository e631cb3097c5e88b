// The library's hot loops (sharpness, blur effect, colour, ink, cell means, a page's background
// and ink components, PNG rows) built twice: for AVX2, taken where the processor has it, and for
// the x86-64 baseline a wheel must run on.
// Each hot function is inlined (RC_HOT) into an AVX2 entry (RC_AVX2) and a baseline one, and the
// caller picks one at run time. The loops are whole-number arithmetic and AVX2 brings no fused
// multiply-add, so both give the same measures, bit for bit (all of the audit bench's tune3
// half); AVX2 measures it in a tenth less time. Clang 21's target_clones left inline functions
// such as std::vector's undefined in the library, so the choice is made here, by hand.
#ifndef RUNCLINIC_VECTOR_DISPATCH_H
#define RUNCLINIC_VECTOR_DISPATCH_H

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define RC_HOT inline __attribute__((always_inline))
#define RC_AVX2 __attribute__((target("avx2")))
static inline bool rc_has_avx2() {
    static const bool has = __builtin_cpu_supports("avx2");
    return has;
}
#else
#define RC_HOT inline
#define RC_AVX2
static inline bool rc_has_avx2() { return false; }
#endif

#endif
