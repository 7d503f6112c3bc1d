// Private parts of the score kernels: validation helpers, row kernels (kernels*.cpp), scratch
// rows and the row-streaming minimum filter shared by pse.cpp and ssim.cpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facenorm/score.hpp"

namespace facenorm::score_detail {

// BT.601 with offsets (eq. 3): YCbCr = offsets + kBt601 * (R, G, B) / 255.
inline constexpr double kBt601[3][3] = {{65.481, 128.553, 24.966}, {-37.797, -74.203, 112.0}, {112.0, -93.786, -18.214}};
inline constexpr double kBt601Offsets[3] = {16.0, 128.0, 128.0};

// ---- validation (pse.cpp) ----

// "a CV_8UC3 matrix of 1024 x 1024 (rows x cols)"
std::string describe(const cv::Mat& m);
// Both images RGB uint8 CV_8UC3, non-empty and of equal size; else InputTypeError / InputError.
void require_rgb_pair(const cv::Mat& original, const cv::Mat& normalized);
// 0 or 1 (off) or odd >= 3; else InputError.
void require_erosion_size(int size);

// ---- row kernels (kernels.cpp: portable, the specification, and the dispatch) ----

// The hand-vectorized (AVX2) kernels (kernels_avx2.cpp) are used where the CPU has them; tests
// switch them off to check them against the portable versions. The portable YCbCr difference
// rounds without FMA, so it may differ from the AVX2 + FMA one in the last bit; every other
// result is bit-identical.
void set_simd_enabled(bool on);
bool simd_enabled();

// Eq. 4 for one row: interleaved RGB uint8 -> squared error per channel, in float, RGB or
// YCbCr (whose offsets cancel: the transform of the exact integer RGB difference).
// `diff` is scratch of 3 * cols + 48 floats.
void squared_error_row(const std::uint8_t* a, const std::uint8_t* b, float* out, float* diff, int cols, bool ycbcr);

// Element-wise minima of float rows.
void min3_rows(const float* a, const float* b, const float* c, float* out, int n);
void min2_rows(const float* a, const float* b, float* out, int n);
void min_into_row(float* inout, const float* b, int n);

// Eq. 6 for one row of a heatmap: sum_p m_p sum_c H[p, c] and sum_p m_p, in a fixed order that
// every implementation follows exactly (see kernels_shared.hpp), plus the validity checks.
enum class MaskKind { None, Float, Byte };  // no mask, float32 in [0, 1], uint8 0/255
struct RowSum {
  double h = 0;  // sum_p m_p * sum_c H[p, c]
  double n = 0;  // sum_p m_p
  bool bad_h = false, bad_m = false;  // a value < 0, inf or NaN in H; a weight outside [0, 1] or NaN
};
using RowSumFn = RowSum (*)(const float* h, const void* mask, int cols);
RowSumFn row_sum_fn(MaskKind kind, int channels);

// One output row of the 3 x 3 minimum of an interleaved 3-channel image from its source rows
// above, at and below (pass the row itself for a missing neighbour: border replicated), in one
// vectorized pass. With `sum` it also sums the finished row from registers, exactly as
// row_sum_fn(kind, 3) would. `stream`: `out` is a result row nobody reads soon, which may be
// written with non-temporal stores (then call store_fence() before the rows are handed on).
// Returns false (having done nothing) where the CPU has no vectorized version.
bool erode3x3_rgb_row(const float* above, const float* row, const float* below, float* out, int cols, bool stream,
                      MaskKind kind, const void* mask, RowSum* sum);
void store_fence();

// The portable 3 x 3 minimum (the specification of erode3x3_rgb_row): pixels [x_begin, cols) of
// one output row, from the source rows above, at and below (border replicated).
inline void erode3x3_rgb_pixels(const float* a, const float* b, const float* c, float* out, int cols, int x_begin) {
  for (int x = x_begin; x < cols; ++x) {
    const int xl = std::max(0, x - 1), xr = std::min(cols - 1, x + 1);
    for (int ch = 0; ch < 3; ++ch) {
      const int i = 3 * x + ch, il = 3 * xl + ch, ir = 3 * xr + ch;
      out[i] = std::min({a[il], a[i], a[ir], b[il], b[i], b[ir], c[il], c[i], c[ir]});
    }
  }
}


// ---- scratch rows ----

// Scratch rows at distinct offsets modulo 4 KiB, away from the offset of `avoid` (an output
// row): a loop that stores into one row while loading from another stalls on every iteration
// when the two addresses agree in their low 12 bits ("4K aliasing"), which rows of 1024 RGB
// floats (12 KiB) otherwise always do.
class RowArena {
 public:
  RowArena(size_t floats_per_row, int count, const void* avoid = nullptr)
      : span_((floats_per_row * sizeof(float) + 4095) / 4096 * 4096 + 4096), count_(count) {
    buffer_.resize((span_ * size_t(count) + 4096) / sizeof(float));
    auto base = reinterpret_cast<std::uintptr_t>(buffer_.data());
    base_ = (base + 4095) / 4096 * 4096;
    avoid_ = avoid ? reinterpret_cast<std::uintptr_t>(avoid) % 4096 : 0;
  }
  float* row(int i) const {
    std::uintptr_t offset = (avoid_ + std::uintptr_t(i + 1) * 4096 / std::uintptr_t(count_ + 1)) % 4096 / 64 * 64;
    return reinterpret_cast<float*>(base_ + span_ * std::uintptr_t(i) + offset);
  }

 private:
  size_t span_;
  int count_;
  std::vector<float> buffer_;
  std::uintptr_t base_ = 0, avoid_ = 0;
};

// ---- the row-streaming minimum filter (eq. 5) ----

// Rows [begin, end) of a min filter of `size` (0, 1 or odd >= 3, border replicated) over a
// source of `rows` rows x `cols` pixels x `cn` interleaved float channels produced row by row:
//   source(y, float* scratch) -> const float*   source row y (cols * cn floats): written into
//                                               scratch, or a pointer to where it already is,
//   dest(y) -> float*                           where output row y is written,
//   fast3(y, above, row, below, float* d) -> bool
//                                               size 3 and cn 3 only: a vectorized 3 x 3 pass
//                                               that also finishes row y (true), or false,
//   sink(y, const float*)                       called with each other finished output row.
// Size 0 or 1 copies the source rows into dest. Output rows depend only on their inputs, so
// stripes computed separately (with their halo rows recomputed) give bit-identical results.
// The scratch rows are arena rows first_slot .. first_slot + size (the arena must hold them).
template <class Source, class Dest, class Fast3, class Sink>
void min_filter_rows(int rows, int cols, int cn, int size, int begin, int end, Source&& source, Dest&& dest,
                     Fast3&& fast3, Sink&& sink, const RowArena& arena, int first_slot) {
  const int n = cols * cn;
  if (size <= 1) {
    for (int y = begin; y < end; ++y) {
      float* d = dest(y);
      const float* src = source(y, d);
      if (src != d) std::copy(src, src + n, d);
      sink(y, static_cast<const float*>(d));
    }
    return;
  }
  const int r = size / 2;
  if (size == 3 && cn == 3) {
    // One pass per output row over a ring of the three source rows.
    const float* ring[3] = {nullptr, nullptr, nullptr};
    int next = std::max(0, begin - 1);
    for (int y = begin; y < end; ++y) {
      const int lo = std::max(0, y - 1), hi = std::min(rows - 1, y + 1);
      for (; next <= hi; ++next) ring[next % 3] = source(next, arena.row(first_slot + next % 3));
      const float *a = ring[lo % 3], *b = ring[y % 3], *c = ring[hi % 3];
      float* d = dest(y);
      if (fast3(y, a, b, c, d)) continue;
      erode3x3_rgb_pixels(a, b, c, d, cols, 0);
      sink(y, static_cast<const float*>(d));
    }
    return;
  }
  // Separable: the horizontal minimum of each source row goes into a ring of `size` rows.
  auto hrow = [&](int sy) { return arena.row(first_slot + 1 + sy % size); };
  auto fill = [&](int sy) {
    float* p = arena.row(first_slot);
    const float* src = source(sy, p + r * cn);
    if (src != p + r * cn) std::copy(src, src + n, p + r * cn);
    for (int j = 0; j < r; ++j)
      for (int c = 0; c < cn; ++c) {
        p[j * cn + c] = p[r * cn + c];
        p[(r + cols + j) * cn + c] = p[(r + cols - 1) * cn + c];
      }
    float* h = hrow(sy);
    min3_rows(p, p + cn, p + 2 * cn, h, n);
    for (int j = 3; j < size; ++j) min_into_row(h, p + j * cn, n);
  };
  int next = std::max(0, begin - r);
  for (int y = begin; y < end; ++y) {
    const int lo = std::max(0, y - r), hi = std::min(rows - 1, y + r);
    while (next <= hi) fill(next++);
    float* d = dest(y);
    const int count = hi - lo + 1;
    if (count == 1) {
      std::copy(hrow(lo), hrow(lo) + n, d);
    } else {
      if (count >= 3) min3_rows(hrow(lo), hrow(lo + 1), hrow(lo + 2), d, n);
      else min2_rows(hrow(lo), hrow(lo + 1), d, n);
      for (int sy = lo + 3; sy <= hi; ++sy) min_into_row(d, hrow(sy), n);
    }
    sink(y, static_cast<const float*>(d));
  }
}

}  // namespace facenorm::score_detail
