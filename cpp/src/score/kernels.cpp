// Row kernels of the PSE heatmap and the score: squared error (eq. 4), 3 x 3 minimum (eq. 5)
// and the masked sum (eq. 6). This file holds the portable versions, which are the
// specification, and the dispatch: on x86-64 CPUs with AVX2 (the build targets the x86-64
// baseline) it picks the hand-vectorized versions of kernels_avx2.cpp at run time.
#include <atomic>

#include "kernels_avx2.hpp"
#include "kernels_shared.hpp"

#if defined(FACENORM_X86_SIMD) && !defined(__clang__)
// Simple loops: compiled twice (AVX2 and the baseline) by GCC and picked at run time. No FMA
// and no reassociation: both versions give the same bits.
#define FACENORM_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define FACENORM_SIMD_CLONES
#endif

namespace facenorm::score_detail {

namespace {
std::atomic<bool> g_simd{true};

#ifdef FACENORM_X86_SIMD
bool use_avx2() { return avx2::cpu_has_avx2() && simd_enabled(); }
bool use_avx2_fma() { return avx2::cpu_has_avx2_fma() && simd_enabled(); }
#endif
}  // namespace

void set_simd_enabled(bool on) { g_simd = on; }
bool simd_enabled() { return g_simd.load(std::memory_order_relaxed); }

// ---------------------------------------------------------------- element-wise minima

FACENORM_SIMD_CLONES
void min3_rows(const float* a, const float* b, const float* c, float* out, int n) {
  for (int i = 0; i < n; ++i) out[i] = std::min(std::min(a[i], b[i]), c[i]);
}

FACENORM_SIMD_CLONES
void min2_rows(const float* a, const float* b, float* out, int n) {
  for (int i = 0; i < n; ++i) out[i] = std::min(a[i], b[i]);
}

FACENORM_SIMD_CLONES
void min_into_row(float* inout, const float* b, int n) {
  for (int i = 0; i < n; ++i) inout[i] = std::min(inout[i], b[i]);
}

// ---------------------------------------------------------------- eq. 4: squared error

namespace {

// The specification (any CPU): ((K[c][0] dR + K[c][1] dG) + K[c][2] dB)^2 in float.
FACENORM_SIMD_CLONES
void squared_error_row_portable(const std::uint8_t* a, const std::uint8_t* b, float* out, int cols, int ycbcr) {
  if (!ycbcr) {
    for (int i = 0; i < 3 * cols; ++i) {
      float d = float(int(a[i]) - int(b[i]));
      out[i] = d * d;
    }
    return;
  }
  const auto& k = ycbcr_coefficients().m;
  for (int x = 0; x < cols; ++x) {
    const float d[3] = {float(int(a[3 * x]) - int(b[3 * x])), float(int(a[3 * x + 1]) - int(b[3 * x + 1])),
                        float(int(a[3 * x + 2]) - int(b[3 * x + 2]))};
    for (int c = 0; c < 3; ++c) {
      float v = k[c][0] * d[0] + k[c][1] * d[1] + k[c][2] * d[2];
      out[3 * x + c] = v * v;
    }
  }
}

}  // namespace

void squared_error_row(const std::uint8_t* a, const std::uint8_t* b, float* out, float* diff, int cols, bool ycbcr) {
#ifdef FACENORM_X86_SIMD
  if (ycbcr && use_avx2_fma()) return avx2::squared_error_row_ycbcr(a, b, out, diff, cols);
#endif
  (void)diff;
  squared_error_row_portable(a, b, out, cols, ycbcr);
}

// ---------------------------------------------------------------- eq. 6: row sums (order: kernels_shared.hpp)

namespace {

template <int CN, MaskKind K>
RowSum sum_row_generic(const float* h, const void* mask, int cols) {
  double acc[8] = {}, nacc[8] = {};
  float hmin = 0.f, hmax = 0.f, mmin = 0.f, mmax = 0.f;
  int bad_bytes = 0;
  for (int x = 0, j = 0; x < cols; ++x, j = (j + 1) % 8) {
    const float* p = h + x * CN;
    for (int c = 0; c < CN; ++c) hmin = std::min(hmin, p[c]), hmax = std::max(hmax, p[c]);
    float v = p[0];
    for (int c = 1; c < CN; ++c) v += p[c];
    double m = mask_weight<K>(mask, x, mmin, mmax, bad_bytes);
    acc[j] += opaque(m * double(v));
    nacc[j] += m;
  }
  double n = K == MaskKind::None ? double(cols) : lane_sum8(nacc);
  return make_row_sum<K>(lane_sum8(acc), n, hmin, hmax, mmin, mmax, bad_bytes);
}

template <MaskKind K>
RowSum sum_row3_portable(const float* h, const void* mask, int cols) {
  Rgb3Lanes l;
  for (int x0 = 0; x0 < cols; x0 += 8) sum_block3<K>(h, mask, x0, std::min(8, cols - x0), l);
  return finish_row3<K>(l, cols);
}

template <MaskKind K>
RowSumFn row_sum_for(int cn) {
  switch (cn) {
    case 1: return &sum_row_generic<1, K>;
    case 2: return &sum_row_generic<2, K>;
    case 3:
#ifdef FACENORM_X86_SIMD
      if (use_avx2()) return avx2::row_sum3_fn(K);
#endif
      return &sum_row3_portable<K>;
    default: return &sum_row_generic<4, K>;
  }
}

}  // namespace

RowSumFn row_sum_fn(MaskKind kind, int channels) {
  switch (kind) {
    case MaskKind::None: return row_sum_for<MaskKind::None>(channels);
    case MaskKind::Float: return row_sum_for<MaskKind::Float>(channels);
    default: return row_sum_for<MaskKind::Byte>(channels);
  }
}

// ---------------------------------------------------------------- eq. 5: fused 3 x 3 minimum

// The portable version is erode3x3_rgb_pixels (score_internal.hpp), which min_filter_rows runs
// where this returns false.
bool erode3x3_rgb_row(const float* above, const float* row, const float* below, float* out, int cols, bool stream,
                      MaskKind kind, const void* mask, RowSum* sum) {
#ifdef FACENORM_X86_SIMD
  if (!use_avx2()) return false;
  avx2::erode3x3_rgb_row(above, row, below, out, cols, stream, kind, mask, sum);
  return true;
#else
  (void)above, (void)row, (void)below, (void)out, (void)cols, (void)stream, (void)kind, (void)mask, (void)sum;
  return false;
#endif
}

void store_fence() {
#ifdef FACENORM_X86_SIMD
  avx2::store_fence();
#endif
}

}  // namespace facenorm::score_detail
