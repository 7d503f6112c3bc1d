// The hand-vectorized (AVX2) row kernels of kernels_avx2.cpp, x86-64 only. Each computes what
// its portable version in kernels.cpp computes (that code is the specification) and is called
// only by the dispatch there, after the CPU check: none of them may run on a CPU without AVX2
// (and FMA, for the YCbCr difference).
#pragma once

#include <cstdint>

#include "kernels_shared.hpp"

#ifdef FACENORM_X86_SIMD
namespace facenorm::score_detail::avx2 {

inline bool cpu_has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
inline bool cpu_has_avx2_fma() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

// squared_error_row(..., ycbcr = true); needs FMA, whose rounding (< 1 ulp of the difference
// before squaring) is its only departure from the portable version.
void squared_error_row_ycbcr(const std::uint8_t* a, const std::uint8_t* b, float* out, float* diff, int cols);

// row_sum_fn(kind, 3), bit-identical.
RowSumFn row_sum3_fn(MaskKind kind);

// erode3x3_rgb_row's work (always done here), bit-identical to erode3x3_rgb_floats and
// row_sum_fn(kind, 3).
void erode3x3_rgb_row(const float* above, const float* row, const float* below, float* out, int cols, bool stream,
                      MaskKind kind, const void* mask, RowSum* sum);

void store_fence();

}  // namespace facenorm::score_detail::avx2
#endif
