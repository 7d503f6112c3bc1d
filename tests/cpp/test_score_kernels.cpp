// The AVX2 row kernels (kernels_avx2.cpp) against their specification, the portable versions in
// kernels.cpp: the same rows through both paths, at widths around the 8-pixel blocks and past
// the 16-block flush. Skipped on a CPU without AVX2, where only the portable path exists.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "../../cpp/src/score/kernels_avx2.hpp"

using namespace facenorm::score_detail;

namespace {

const int kWidths[] = {1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 31, 129, 130, 1029};
const MaskKind kKinds[] = {MaskKind::None, MaskKind::Float, MaskKind::Byte};

bool cpu_has(bool fma) {
#ifdef FACENORM_X86_SIMD
  return fma ? avx2::cpu_has_avx2_fma() : avx2::cpu_has_avx2();
#else
  (void)fma;
  return false;
#endif
}
#define REQUIRE_AVX2(fma) \
  if (!cpu_has(fma)) GTEST_SKIP() << "no AVX2" << ((fma) ? " + FMA" : "") << " here: only the portable path runs"

// Runs f() with the AVX2 kernels switched off: the portable path.
template <class F>
auto portable(F&& f) {
  struct On {
    ~On() { set_simd_enabled(true); }
  } on;
  set_simd_enabled(false);
  return f();
}

struct Rows {
  std::vector<std::uint8_t> a, b, byte_mask;
  std::vector<float> heat[3], float_mask;
  Rows(int cols, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> byte(0, 255), coin(0, 1);
    std::uniform_real_distribution<float> unit(0.f, 1.f);
    for (int i = 0; i < 3 * cols; ++i) a.push_back(std::uint8_t(byte(rng))), b.push_back(std::uint8_t(byte(rng)));
    for (auto& h : heat)
      for (int i = 0; i < 3 * cols; ++i) h.push_back(50.f * unit(rng));
    for (int x = 0; x < cols; ++x) float_mask.push_back(unit(rng)), byte_mask.push_back(coin(rng) ? 255 : 0);
  }
  const void* mask(MaskKind kind) const {
    if (kind == MaskKind::Float) return float_mask.data();
    return kind == MaskKind::Byte ? static_cast<const void*>(byte_mask.data()) : nullptr;
  }
};

bool same_bits(const RowSum& x, const RowSum& y) {
  return std::memcmp(&x.h, &y.h, sizeof x.h) == 0 && std::memcmp(&x.n, &y.n, sizeof x.n) == 0 &&
         x.bad_h == y.bad_h && x.bad_m == y.bad_m;
}

// A 32-byte aligned row of n floats (the streaming stores need it).
struct AlignedRow {
  std::vector<float> storage;
  float* p;
  explicit AlignedRow(int n) : storage(size_t(n) + 8) {
    auto at = reinterpret_cast<std::uintptr_t>(storage.data());
    p = reinterpret_cast<float*>((at + 31) / 32 * 32);
  }
};

}  // namespace

// Eq. 4 in YCbCr: the AVX2 version uses FMA, so the difference before squaring may round
// differently, by a few ulp of the largest term (|K d| <= 255 * 0.44).
TEST(ScoreKernels, SquaredErrorYCbCrMatchesThePortableWithinRounding) {
  REQUIRE_AVX2(true);
  for (int cols : kWidths) {
    Rows r(cols, unsigned(cols));
    std::vector<float> diff(size_t(3 * cols + 48)), simd(size_t(3 * cols)), port(size_t(3 * cols));
    squared_error_row(r.a.data(), r.b.data(), simd.data(), diff.data(), cols, true);
    portable([&] { squared_error_row(r.a.data(), r.b.data(), port.data(), diff.data(), cols, true); });
    for (int i = 0; i < 3 * cols; ++i) ASSERT_NEAR(std::sqrt(simd[i]), std::sqrt(port[i]), 5e-5f) << cols << " " << i;
  }
}

// Eq. 6, three channels: the same summation order, so the same bits, flags included.
TEST(ScoreKernels, RowSum3IsBitIdenticalToThePortable) {
  REQUIRE_AVX2(false);
  for (MaskKind kind : kKinds)
    for (int cols : kWidths) {
      Rows r(cols, unsigned(7 * cols + 1));
      const float* h = r.heat[0].data();
      RowSum simd = row_sum_fn(kind, 3)(h, r.mask(kind), cols);
      RowSum port = portable([&] { return row_sum_fn(kind, 3)(h, r.mask(kind), cols); });
      EXPECT_TRUE(same_bits(simd, port)) << int(kind) << " " << cols;
    }
}

TEST(ScoreKernels, RowSum3FlagsBadValuesLikeThePortable) {
  REQUIRE_AVX2(false);
  const int cols = 41;
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (MaskKind kind : kKinds)
    for (int at : {0, 20, 3 * cols - 1})  // in a vector block, and in the portable tail
      for (int bad = 0; bad < 4; ++bad) {  // -1, inf or NaN in H; a weight outside [0, 1] or 0/255
        if (bad == 3 && kind == MaskKind::None) continue;
        Rows r(cols, unsigned(at));
        if (bad < 3) r.heat[0][size_t(at)] = bad == 0 ? -1.f : bad == 1 ? inf : nan;
        else r.float_mask[size_t(at / 3)] = 1.5f, r.byte_mask[size_t(at / 3)] = 7;
        const float* h = r.heat[0].data();
        RowSum simd = row_sum_fn(kind, 3)(h, r.mask(kind), cols);
        RowSum port = portable([&] { return row_sum_fn(kind, 3)(h, r.mask(kind), cols); });
        EXPECT_TRUE(same_bits(simd, port)) << int(kind) << " " << bad << " " << at;
        EXPECT_TRUE(bad < 3 ? port.bad_h : port.bad_m) << int(kind) << " " << bad << " " << at;
      }
}

// Eq. 5 fused with eq. 6: the vector 3 x 3 minimum gives erode3x3_rgb_pixels' row, and its sum
// the portable sum of that row, with ordinary and with streaming stores.
TEST(ScoreKernels, Erode3x3IsBitIdenticalToThePortable) {
  REQUIRE_AVX2(false);
  for (bool stream : {false, true})
    for (MaskKind kind : kKinds)
      for (int cols : kWidths) {
        Rows r(cols, unsigned(13 * cols + 2));
        const float *above = r.heat[0].data(), *row = r.heat[1].data(), *below = r.heat[2].data();
        AlignedRow simd(3 * cols), port(3 * cols);
        RowSum simd_sum, port_sum;
        ASSERT_TRUE(erode3x3_rgb_row(above, row, below, simd.p, cols, stream, kind, r.mask(kind), &simd_sum));
        store_fence();
        erode3x3_rgb_pixels(above, row, below, port.p, cols, 0);
        port_sum = portable([&] { return row_sum_fn(kind, 3)(port.p, r.mask(kind), cols); });
        EXPECT_EQ(std::memcmp(simd.p, port.p, sizeof(float) * size_t(3 * cols)), 0) << stream << " " << cols;
        EXPECT_TRUE(same_bits(simd_sum, port_sum)) << stream << " " << int(kind) << " " << cols;
        // Without a sum, the same row.
        AlignedRow plain(3 * cols);
        ASSERT_TRUE(erode3x3_rgb_row(above, row, below, plain.p, cols, stream, kind, nullptr, nullptr));
        store_fence();
        EXPECT_EQ(std::memcmp(plain.p, port.p, sizeof(float) * size_t(3 * cols)), 0) << stream << " " << cols;
      }
}

// The switch tests rely on: with it off, the dispatch never takes the AVX2 path.
TEST(ScoreKernels, SwitchedOffTheDispatchIsPortable) {
  Rows r(9, 1);
  float out[27];
  EXPECT_FALSE(portable([&] {
    return erode3x3_rgb_row(r.heat[0].data(), r.heat[1].data(), r.heat[2].data(), out, 9, false, MaskKind::None,
                            nullptr, nullptr);
  }));
}
