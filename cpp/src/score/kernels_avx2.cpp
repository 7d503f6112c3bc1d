// The AVX2 versions of the row kernels (see kernels_avx2.hpp). The file is compiled for the
// x86-64 baseline like the rest: only the functions marked target("avx2"...) use AVX2, so no
// inline code shared with other files can be emitted here with AVX2 instructions in it.
#include "kernels_avx2.hpp"

#ifdef FACENORM_X86_SIMD
#include <immintrin.h>

namespace facenorm::score_detail::avx2 {

// ---------------------------------------------------------------- eq. 4: squared error

namespace {

// AVX2 + FMA on the interleaved floats, without deinterleaving. For float g of the row (pixel
// g / 3, channel c = g % 3) the differences of its pixel are d[g] and two of d[g - 2], d[g - 1],
// d[g + 1], d[g + 2] (which two depends on c): two blends of shifted loads bring them into
// place, and the weights repeat every 24 floats (3 vectors):
//   v = fma(K[c][c+2], d[pixel, c+2], fma(K[c][c+1], d[pixel, c+1], K[c][c] * d[g]))  (mod 3)
// It differs from the portable version only by the FMA rounding (< 1 ulp of v).
struct YCbCrFmaWeights {
  alignas(32) float w[3][3][8];  // [vector of the 24-float period][term][element]
  YCbCrFmaWeights() {
    const auto& k = ycbcr_coefficients().m;
    for (int q = 0; q < 3; ++q)
      for (int e = 0; e < 8; ++e) {
        int c = (8 * q + e) % 3;
        for (int t = 0; t < 3; ++t) w[q][t][e] = k[c][(c + t) % 3];
      }
  }
};
const YCbCrFmaWeights& ycbcr_fma_weights() {
  static const YCbCrFmaWeights w;
  return w;
}

template <int kRot1Mask, int kRot2Mask>
__attribute__((target("avx2,fma"))) inline __m256 ycbcr_square(const float* d, __m256 w0, __m256 w1, __m256 w2) {
  // rot1 = d[g+1] (c = 0, 1) or d[g-2] (c = 2); rot2 = d[g+2] (c = 0) or d[g-1] (c = 1, 2)
  __m256 rot1 = _mm256_blend_ps(_mm256_loadu_ps(d + 1), _mm256_loadu_ps(d - 2), kRot1Mask);
  __m256 rot2 = _mm256_blend_ps(_mm256_loadu_ps(d - 1), _mm256_loadu_ps(d + 2), kRot2Mask);
  __m256 v = _mm256_mul_ps(w0, _mm256_loadu_ps(d));
  v = _mm256_fmadd_ps(w1, rot1, v);
  v = _mm256_fmadd_ps(w2, rot2, v);
  return _mm256_mul_ps(v, v);
}

__attribute__((target("avx2,fma"))) void squared_error_row_ycbcr_avx2(const std::uint8_t* a, const std::uint8_t* b,
                                                                       float* out, float* diff, int cols) {
  const int n = 3 * cols, padded = (n + 23) / 24 * 24;
  float* d = diff + 8;
  d[-2] = d[-1] = 0.0f;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i va = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a + i)));
    __m256i vb = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + i)));
    _mm256_storeu_ps(d + i, _mm256_cvtepi32_ps(_mm256_sub_epi32(va, vb)));
  }
  for (; i < n; ++i) d[i] = float(int(a[i]) - int(b[i]));
  for (; i < padded + 2; ++i) d[i] = 0.0f;
  const auto& w = ycbcr_fma_weights().w;
  const __m256 w00 = _mm256_load_ps(w[0][0]), w01 = _mm256_load_ps(w[0][1]), w02 = _mm256_load_ps(w[0][2]);
  const __m256 w10 = _mm256_load_ps(w[1][0]), w11 = _mm256_load_ps(w[1][1]), w12 = _mm256_load_ps(w[1][2]);
  const __m256 w20 = _mm256_load_ps(w[2][0]), w21 = _mm256_load_ps(w[2][1]), w22 = _mm256_load_ps(w[2][2]);
  alignas(32) float last[24];
  for (i = 0; i < padded; i += 24) {
    float* q = i + 24 <= n ? out + i : last;
    _mm256_storeu_ps(q, ycbcr_square<0x24, 0x49>(d + i, w00, w01, w02));
    _mm256_storeu_ps(q + 8, ycbcr_square<0x49, 0x92>(d + i + 8, w10, w11, w12));
    _mm256_storeu_ps(q + 16, ycbcr_square<0x92, 0x24>(d + i + 16, w20, w21, w22));
    if (q == last) std::copy(last, last + (n - i), out + i);
  }
}

}  // namespace

void squared_error_row_ycbcr(const std::uint8_t* a, const std::uint8_t* b, float* out, float* diff, int cols) {
  squared_error_row_ycbcr_avx2(a, b, out, diff, cols);
}

// ---------------------------------------------------------------- eq. 6: row sums

namespace {

// The same order with AVX2: the weights are expanded to the 24 floats of a block by three
// permutes (H is not deinterleaved). No FMA (the target does not enable it): every product and
// sum rounds as in the portable code.
template <MaskKind K>
struct Sum3Avx2 {
  __m256 f0, f1, f2, fn, hmin, hmax, mmin, mmax;
  __m256d d[6], dn[2];
  __m256i bad;
  int blocks = 0;

  __attribute__((target("avx2"))) Sum3Avx2() {
    f0 = f1 = f2 = fn = hmin = hmax = mmin = mmax = _mm256_setzero_ps();
    for (auto& v : d) v = _mm256_setzero_pd();
    for (auto& v : dn) v = _mm256_setzero_pd();
    bad = _mm256_setzero_si256();
  }

  __attribute__((target("avx2"))) inline void flush() {
    const __m256 f[3] = {f0, f1, f2};
    for (int q = 0; q < 3; ++q) {
      d[2 * q] = _mm256_add_pd(d[2 * q], _mm256_cvtps_pd(_mm256_castps256_ps128(f[q])));
      d[2 * q + 1] = _mm256_add_pd(d[2 * q + 1], _mm256_cvtps_pd(_mm256_extractf128_ps(f[q], 1)));
    }
    dn[0] = _mm256_add_pd(dn[0], _mm256_cvtps_pd(_mm256_castps256_ps128(fn)));
    dn[1] = _mm256_add_pd(dn[1], _mm256_cvtps_pd(_mm256_extractf128_ps(fn, 1)));
    f0 = f1 = f2 = fn = _mm256_setzero_ps();
    blocks = 0;
  }

  // One full block: pixels x0 .. x0 + 7, whose 24 floats are h0, h1, h2.
  __attribute__((target("avx2"))) inline void block(__m256 h0, __m256 h1, __m256 h2, const void* mask, int x0) {
    // One min / max per block on the loop-carried chains. NaN is dropped here (min / max
    // return their second operand) and caught by the sums instead.
    hmin = _mm256_min_ps(_mm256_min_ps(_mm256_min_ps(h0, h1), h2), hmin);
    hmax = _mm256_max_ps(_mm256_max_ps(_mm256_max_ps(h0, h1), h2), hmax);
    __m256 m;
    if constexpr (K == MaskKind::None) {
      (void)mask, (void)x0;
      m = _mm256_set1_ps(1.0f);
    } else if constexpr (K == MaskKind::Float) {
      m = _mm256_loadu_ps(static_cast<const float*>(mask) + x0);
      mmin = _mm256_min_ps(m, mmin);
      mmax = _mm256_max_ps(m, mmax);
    } else {
      const __m256i ones = _mm256_set1_epi32(1);
      __m256i v = _mm256_cvtepu8_epi32(
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(static_cast<const std::uint8_t*>(mask) + x0)));
      __m256i ok = _mm256_or_si256(_mm256_cmpeq_epi32(v, _mm256_setzero_si256()),
                                   _mm256_cmpeq_epi32(v, _mm256_set1_epi32(255)));
      bad = _mm256_or_si256(bad, _mm256_andnot_si256(ok, ones));
      m = _mm256_cvtepi32_ps(_mm256_min_epu32(v, ones));
    }
    const __m256i e0 = _mm256_setr_epi32(0, 0, 0, 1, 1, 1, 2, 2), e1 = _mm256_setr_epi32(2, 3, 3, 3, 4, 4, 4, 5),
                  e2 = _mm256_setr_epi32(5, 5, 6, 6, 6, 7, 7, 7);
    __m256 p0 = _mm256_mul_ps(_mm256_permutevar8x32_ps(m, e0), h0);
    __m256 p1 = _mm256_mul_ps(_mm256_permutevar8x32_ps(m, e1), h1);
    __m256 p2 = _mm256_mul_ps(_mm256_permutevar8x32_ps(m, e2), h2);
    __asm__("" : "+x"(p0), "+x"(p1), "+x"(p2));  // no FMA contraction (see opaque)
    f0 = _mm256_add_ps(f0, p0);
    f1 = _mm256_add_ps(f1, p1);
    f2 = _mm256_add_ps(f2, p2);
    fn = _mm256_add_ps(fn, m);
    if (++blocks == kFlushBlocks) flush();
  }

  // Hands the state to the portable code (for a last, partial block).
  __attribute__((target("avx2"))) void to_lanes(Rgb3Lanes& l) const {
    _mm256_storeu_ps(l.f, f0);
    _mm256_storeu_ps(l.f + 8, f1);
    _mm256_storeu_ps(l.f + 16, f2);
    _mm256_storeu_ps(l.fn, fn);
    for (int q = 0; q < 6; ++q) _mm256_storeu_pd(l.d + 4 * q, d[q]);
    _mm256_storeu_pd(l.dn, dn[0]);
    _mm256_storeu_pd(l.dn + 4, dn[1]);
    alignas(32) float t[4][8];
    _mm256_store_ps(t[0], hmin);
    _mm256_store_ps(t[1], hmax);
    _mm256_store_ps(t[2], mmin);
    _mm256_store_ps(t[3], mmax);
    l.hmin = l.hmax = l.mmin = l.mmax = 0.f;
    for (int j = 0; j < 8; ++j) {
      l.hmin = std::min(l.hmin, t[0][j]);
      l.hmax = std::max(l.hmax, t[1][j]);
      l.mmin = std::min(l.mmin, t[2][j]);
      l.mmax = std::max(l.mmax, t[3][j]);
    }
    l.bad_bytes = !_mm256_testz_si256(bad, bad);
    l.blocks = blocks;
  }
};

constexpr int kPrefetchFloats = 3072;

template <MaskKind K>
__attribute__((target("avx2"))) RowSum sum_row3_avx2(const float* h, const void* mask, int cols) {
  Sum3Avx2<K> s;
  int x0 = 0;
  for (; x0 + 8 <= cols; x0 += 8) {
    const float* p = h + 3 * x0;
    // A heatmap is usually read from memory, not cache: software prefetches ~12 KiB ahead
    // (into the next row, which is harmless past the end) keep more lines in flight than the
    // hardware prefetcher does (measured: two calls 3.7 -> 3.3 ms at 1024 x 1024).
    _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchFloats), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchFloats + 16), _MM_HINT_T0);
    if constexpr (K == MaskKind::Float)
      _mm_prefetch(reinterpret_cast<const char*>(static_cast<const float*>(mask) + x0 + kPrefetchFloats / 3),
                   _MM_HINT_T0);
    s.block(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _mm256_loadu_ps(p + 16), mask, x0);
  }
  Rgb3Lanes l;
  s.to_lanes(l);
  if (x0 < cols) sum_block3<K>(h, mask, x0, cols - x0, l);
  return finish_row3<K>(l, cols);
}

}  // namespace

RowSumFn row_sum3_fn(MaskKind kind) {
  switch (kind) {
    case MaskKind::None: return &sum_row3_avx2<MaskKind::None>;
    case MaskKind::Float: return &sum_row3_avx2<MaskKind::Float>;
    default: return &sum_row3_avx2<MaskKind::Byte>;
  }
}

// ---------------------------------------------------------------- eq. 5: fused 3 x 3 minimum

namespace {

__attribute__((target("avx2"))) inline __m256 vertical_min3(const float* r0, const float* r1, const float* r2, int i) {
  return _mm256_min_ps(_mm256_min_ps(_mm256_loadu_ps(r0 + i), _mm256_loadu_ps(r1 + i)), _mm256_loadu_ps(r2 + i));
}

// Vector k of the row (8 floats): the vertical minimum of the three rows, whose neighbours
// 3 floats (one pixel) to the left and right come from the previous / next vector by register
// shifts: t = [high half of vector k-1, low half of vector k], u = [high k, low k+1].
__attribute__((target("avx2"))) inline __m256 horizontal_min3(__m256 cur, __m256 t, __m256 u) {
  __m256 left = _mm256_castsi256_ps(_mm256_alignr_epi8(_mm256_castps_si256(cur), _mm256_castps_si256(t), 4));
  __m256 right = _mm256_castsi256_ps(_mm256_alignr_epi8(_mm256_castps_si256(u), _mm256_castps_si256(cur), 12));
  return _mm256_min_ps(_mm256_min_ps(left, cur), right);
}

template <bool kStream>
__attribute__((target("avx2"))) inline void store8(float* p, __m256 v) {
  if constexpr (kStream) _mm256_stream_ps(p, v);
  else _mm256_storeu_ps(p, v);
}

// Blocks of 3 vectors (8 pixels) go through the vector loop; where the row does not end on a
// block, the rest (under 2 blocks) is done by portable code, with ordinary stores, and summed
// (if asked) by the portable code of the same order. The vector part is summed from registers,
// so its stores may bypass the cache (kStream, `out` 32-byte aligned): pse_score with the
// heatmap at 1024 x 1024 measured ~25% faster so, pse_heatmap ~10%.

template <MaskKind K, bool kSum, bool kStream>
__attribute__((target("avx2"))) void erode3x3_rgb_avx2(const float* r0, const float* r1, const float* r2, float* out,
                                                        int cols, const void* mask, RowSum* sum) {
  const int n = 3 * cols;
  int x0 = 0;  // first pixel not done by the vector loop
  Sum3Avx2<K> s;
  if (n >= 24) {
    __m256 cur = vertical_min3(r0, r1, r2, 0);
    // The "previous vector" of the first one holds pixel 0 in its last three floats (replicated border).
    __m256 prev = _mm256_permutevar8x32_ps(cur, _mm256_setr_epi32(0, 0, 0, 0, 0, 0, 1, 2));
    __m256 t = _mm256_permute2f128_ps(prev, cur, 0x21);
    for (; 3 * x0 + 24 <= n; x0 += 8) {
      const int i = 3 * x0;
      // The vector after the block: loaded; or, when the block ends the row, one holding the
      // last pixel in its first three floats (replicated border); else the block is left to
      // the portable code.
      const bool last = i + 24 == n;
      if (!last && i + 32 > n) break;
      __m256 v1 = vertical_min3(r0, r1, r2, i + 8);
      __m256 u = _mm256_permute2f128_ps(cur, v1, 0x21);
      __m256 e0 = horizontal_min3(cur, t, u);
      __m256 v2 = vertical_min3(r0, r1, r2, i + 16);
      t = _mm256_permute2f128_ps(v1, v2, 0x21);
      __m256 e1 = horizontal_min3(v1, u, t);
      __m256 v3 = last ? _mm256_permutevar8x32_ps(v2, _mm256_setr_epi32(5, 6, 7, 7, 7, 7, 7, 7))
                       : vertical_min3(r0, r1, r2, i + 24);
      u = _mm256_permute2f128_ps(v2, v3, 0x21);
      __m256 e2 = horizontal_min3(v2, t, u);
      store8<kStream>(out + i, e0);
      store8<kStream>(out + i + 8, e1);
      store8<kStream>(out + i + 16, e2);
      if constexpr (kSum) s.block(e0, e1, e2, mask, x0);
      t = u;
      cur = v3;
    }
  }
  erode3x3_rgb_pixels(r0, r1, r2, out, cols, x0);
  if constexpr (kSum) {
    Rgb3Lanes l;
    s.to_lanes(l);
    for (; x0 < cols; x0 += 8) sum_block3<K>(out, mask, x0, std::min(8, cols - x0), l);
    *sum = finish_row3<K>(l, cols);
  }
}

template <bool kStream>
void erode3x3_dispatch(const float* above, const float* row, const float* below, float* out, int cols, MaskKind kind,
                       const void* mask, RowSum* sum) {
  if (!sum) erode3x3_rgb_avx2<MaskKind::None, false, kStream>(above, row, below, out, cols, nullptr, nullptr);
  else if (kind == MaskKind::None) erode3x3_rgb_avx2<MaskKind::None, true, kStream>(above, row, below, out, cols, mask, sum);
  else if (kind == MaskKind::Float) erode3x3_rgb_avx2<MaskKind::Float, true, kStream>(above, row, below, out, cols, mask, sum);
  else erode3x3_rgb_avx2<MaskKind::Byte, true, kStream>(above, row, below, out, cols, mask, sum);
}

}  // namespace

void erode3x3_rgb_row(const float* above, const float* row, const float* below, float* out, int cols, bool stream,
                      MaskKind kind, const void* mask, RowSum* sum) {
  if (stream && reinterpret_cast<std::uintptr_t>(out) % 32 == 0)
    erode3x3_dispatch<true>(above, row, below, out, cols, kind, mask, sum);
  else
    erode3x3_dispatch<false>(above, row, below, out, cols, kind, mask, sum);
}

void store_fence() { _mm_sfence(); }

}  // namespace facenorm::score_detail::avx2
#endif
