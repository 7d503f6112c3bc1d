// What the portable row kernels (kernels.cpp) and the AVX2 ones (kernels_avx2.cpp) share: the
// eq. 4 coefficients and the fixed summation order of eq. 6, which both follow exactly. Plain
// baseline code: it is compiled into both files, so nothing here may need AVX2.
#pragma once

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>

#include "score_internal.hpp"

#if defined(__GNUC__) && defined(__x86_64__)
#define FACENORM_X86_SIMD 1  // the AVX2 kernels are compiled (and picked at run time)
#endif

namespace facenorm::score_detail {

// A product the compiler must not fuse into a following addition (no FMA contraction), so that
// sums round the same in functions compiled with and without FMA.
inline __attribute__((always_inline)) float opaque(float v) {
#ifdef FACENORM_X86_SIMD
  __asm__("" : "+x"(v));
#endif
  return v;
}
inline __attribute__((always_inline)) double opaque(double v) {
#ifdef FACENORM_X86_SIMD
  __asm__("" : "+x"(v));
#endif
  return v;
}

// ---- eq. 4: the YCbCr difference K * dRGB, K = kBt601 / 255 in float

struct YCbCrCoefficients {
  float m[3][3];
  YCbCrCoefficients() {
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) m[i][j] = float(kBt601[i][j] / 255.0);
  }
};
inline const YCbCrCoefficients& ycbcr_coefficients() {
  static const YCbCrCoefficients c;
  return c;
}

// ---- eq. 6: row sums
//
// Two fixed summation orders, each followed exactly by every implementation of it, so that a
// heatmap gives the same bits whichever function (heatmap_score, or the fused pse_score) and
// whichever code path sums it. The checks ride along: min / max of H (< 0 and inf are errors)
// and of m (outside [0, 1]); NaN propagates into the sums (even 0 * NaN = NaN).

template <MaskKind K>
inline __attribute__((always_inline)) float mask_weight(const void* mask, int x, float& mmin, float& mmax,
                                                        int& bad_bytes) {
  if constexpr (K == MaskKind::None) {
    (void)mask, (void)x, (void)mmin, (void)mmax, (void)bad_bytes;
    return 1.0f;
  } else if constexpr (K == MaskKind::Float) {
    float m = static_cast<const float*>(mask)[x];
    mmin = std::min(mmin, m);
    mmax = std::max(mmax, m);
    return m;
  } else {
    std::uint8_t v = static_cast<const std::uint8_t*>(mask)[x];
    bad_bytes |= std::uint8_t(v + 1) > 1;  // neither 0 nor 255
    return v ? 1.0f : 0.0f;
  }
}

inline __attribute__((always_inline)) double lane_sum8(const double* v) {
  return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}
inline __attribute__((always_inline)) double lane_sum24(const double* v) {
  return (lane_sum8(v) + lane_sum8(v + 8)) + lane_sum8(v + 16);
}

template <MaskKind K>
inline __attribute__((always_inline)) RowSum make_row_sum(double h, double n, float hmin, float hmax, float mmin,
                                                          float mmax, int bad_bytes) {
  RowSum r;
  r.h = h;
  r.n = n;
  if constexpr (K == MaskKind::Float) r.bad_m = !(mmin >= 0.f && mmax <= 1.f && !std::isnan(n));
  if constexpr (K == MaskKind::Byte) r.bad_m = bad_bytes != 0;
  r.bad_h = hmin < 0.f || hmax > FLT_MAX || (std::isnan(h) && !r.bad_m);
  return r;
}

// -- 1, 2 or 4 channels (kernels.cpp, portable only): per pixel the channel sum in float, left
//    to right; then in double acc[x % 8] += m_x * sum, nacc[x % 8] += m_x; lanes by lane_sum8.
//
// -- 3 channels (PSE and SSIM heatmaps): blocks of 8 pixels = 24 floats. Float lane e of a
//    block accumulates m[pixel of e] * H[e] (float multiply, then float add); float lane j
//    (0..7) accumulates the weight of the block's pixel j. After every kFlushBlocks blocks and
//    at the end of the row each float lane is added into its double lane and reset; a partial
//    last block uses the lanes it covers. Row total: lane_sum24 (lane_sum8) of the double
//    lanes. Float partial sums of at most 16 terms keep the relative error under 1e-6.
constexpr int kFlushBlocks = 16;

struct Rgb3Lanes {
  float f[24] = {}, fn[8] = {};
  double d[24] = {}, dn[8] = {};
  float hmin = 0.f, hmax = 0.f, mmin = 0.f, mmax = 0.f;
  int bad_bytes = 0, blocks = 0;  // blocks since the last flush

  void flush() {
    for (int e = 0; e < 24; ++e) d[e] += double(f[e]), f[e] = 0.f;
    for (int j = 0; j < 8; ++j) dn[j] += double(fn[j]), fn[j] = 0.f;
    blocks = 0;
  }
};

// Pixels [x0, x0 + count) (count <= 8) as one block, portable code.
template <MaskKind K>
inline __attribute__((always_inline)) void sum_block3(const float* h, const void* mask, int x0, int count,
                                                      Rgb3Lanes& l) {
  for (int j = 0; j < count; ++j) {
    const float m = mask_weight<K>(mask, x0 + j, l.mmin, l.mmax, l.bad_bytes);
    for (int c = 0; c < 3; ++c) {
      const float v = h[3 * (x0 + j) + c];
      l.hmin = std::min(l.hmin, v);
      l.hmax = std::max(l.hmax, v);
      l.f[3 * j + c] += opaque(m * v);
    }
    l.fn[j] += m;
  }
  if (++l.blocks == kFlushBlocks) l.flush();
}

template <MaskKind K>
inline __attribute__((always_inline)) RowSum finish_row3(Rgb3Lanes& l, int cols) {
  l.flush();
  double n = K == MaskKind::None ? double(cols) : lane_sum8(l.dn);
  return make_row_sum<K>(lane_sum24(l.d), n, l.hmin, l.hmax, l.mmin, l.mmax, l.bad_bytes);
}

}  // namespace facenorm::score_detail
