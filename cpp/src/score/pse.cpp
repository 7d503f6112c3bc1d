// PLOS ONE 2023 eqs. 3-6: colour transform, pixelwise squared error, erosion, anomaly score.
//
// Everything runs row by row: a source row (squared error, or a heatmap row) goes through the
// min filter of score_internal.hpp into the output row, and the score sums each finished row
// while it is in registers or cache. pse_heatmap, heatmap_score and pse_score share the row
// kernels of kernels.cpp, so the fused pse_score is bit-identical to the two separate calls.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core/utility.hpp>

#include "facenorm/errors.hpp"
#include "facenorm/score.hpp"
#include "score_internal.hpp"

namespace facenorm {

namespace score_detail {

std::string describe(const cv::Mat& m) {
  if (m.empty()) return "an empty matrix";
  return "a " + cv::typeToString(m.type()) + " matrix of " + std::to_string(m.rows) + " x " + std::to_string(m.cols) +
         " (rows x cols)";
}

void require_rgb_pair(const cv::Mat& original, const cv::Mat& normalized) {
  const char* names[2] = {"original", "normalized"};
  const cv::Mat* mats[2] = {&original, &normalized};
  for (int i = 0; i < 2; ++i) {
    if (mats[i]->empty()) throw InputError(std::string(names[i]) + ": expected a non-empty RGB uint8 image, got an empty one");
    if (mats[i]->type() != CV_8UC3)
      throw InputTypeError(std::string(names[i]) + ": expected an RGB uint8 image (CV_8UC3), got " + describe(*mats[i]));
    if (mats[i]->dims != 2) throw InputError(std::string(names[i]) + ": expected a 2-D image");
  }
  if (original.size() != normalized.size())
    throw InputError("normalized: expected the size of original (" + std::to_string(original.rows) + " x " +
                     std::to_string(original.cols) + "), got " + std::to_string(normalized.rows) + " x " +
                     std::to_string(normalized.cols));
}

void require_erosion_size(int size) {
  if (size == 0 || size == 1) return;
  if (size < 0 || size % 2 == 0)
    throw InputError("erosion: expected 0 (off) or an odd size >= 3 of the square minimum filter, got " +
                     std::to_string(size));
}

}  // namespace score_detail

using namespace score_detail;

namespace {

struct MaskView {
  MaskKind kind = MaskKind::None;
  const cv::Mat* mat = nullptr;
  const void* row(int y) const { return kind == MaskKind::None ? nullptr : mat->ptr(y); }
};

MaskView check_mask(const cv::Mat& mask, cv::Size size) {
  MaskView v;
  if (mask.empty()) return v;
  if (mask.type() != CV_32FC1 && mask.type() != CV_8UC1)
    throw InputTypeError("mask: expected a float32 (CV_32FC1) mask with values in [0, 1] or a CV_8UC1 mask of 0/255, got " +
                         describe(mask));
  if (mask.size() != size)
    throw InputError("mask: expected the heatmap's size " + std::to_string(size.height) + " x " +
                     std::to_string(size.width) + ", got " + std::to_string(mask.rows) + " x " + std::to_string(mask.cols));
  v.kind = mask.type() == CV_32FC1 ? MaskKind::Float : MaskKind::Byte;
  v.mat = &mask;
  return v;
}

// Sums the per-row results in row order (independent of how rows were split among threads).
HeatmapScore finish_score(const std::vector<RowSum>& rows, const cv::Mat& heatmap, const MaskView& mask) {
  double h = 0, n = 0;
  int bad_h = -1, bad_m = -1;
  for (size_t y = 0; y < rows.size(); ++y) {
    h += rows[y].h;
    n += rows[y].n;
    if (rows[y].bad_h && bad_h < 0) bad_h = int(y);
    if (rows[y].bad_m && bad_m < 0) bad_m = int(y);
  }
  if (bad_h >= 0) {
    // Name the first offending value.
    const float* p = heatmap.empty() ? nullptr : heatmap.ptr<float>(bad_h);
    for (int i = 0; p && i < heatmap.cols * heatmap.channels(); ++i)
      if (!(p[i] >= 0.f && p[i] <= FLT_MAX))
        throw InputError("heatmap: expected finite values >= 0 (a squared error or 1 - SSIM), got " +
                         std::to_string(p[i]) + " at row " + std::to_string(bad_h) + ", column " +
                         std::to_string(i / heatmap.channels()));
    throw InputError("heatmap: expected finite values >= 0");
  }
  if (bad_m >= 0) {
    if (mask.kind == MaskKind::Byte)
      throw InputError("mask: expected a uint8 mask holding only 0 and 255 (or a float32 mask in [0, 1] for soft "
                       "weights), got other values in row " + std::to_string(bad_m));
    const float* p = mask.mat->ptr<float>(bad_m);
    for (int x = 0; x < mask.mat->cols; ++x)
      if (!(p[x] >= 0.f && p[x] <= 1.f))
        throw InputError("mask: expected values in [0, 1], got " + std::to_string(p[x]) + " at row " +
                         std::to_string(bad_m) + ", column " + std::to_string(x));
    throw InputError("mask: expected values in [0, 1]");
  }
  if (!(n > 0)) throw InputError("mask: selects no pixels (all weights are 0); expected at least one pixel > 0");
  HeatmapScore s;
  s.frobenius = std::sqrt(h);
  s.pixels = n;
  double energy = s.frobenius / n;
  s.capped = energy < kScoreFloor;
  s.score = -std::log(std::max(energy, kScoreFloor));
  return s;
}

// Rows are processed in stripes (one per thread); each stripe recomputes its halo rows.
template <class Body>
void for_stripes(int rows, int halo, Body&& body) {
  int threads = std::max(1, cv::getNumThreads());
  int stripes = std::min(threads, std::max(1, rows / std::max(32, 4 * halo)));
  if (stripes <= 1) {
    body(0, rows);
    return;
  }
  cv::parallel_for_(cv::Range(0, stripes), [&](const cv::Range& r) {
    for (int s = r.start; s < r.end; ++s) body(int(std::int64_t(rows) * s / stripes), int(std::int64_t(rows) * (s + 1) / stripes));
  }, stripes);
}

// The PSE pipeline: squared error -> erosion -> (heatmap row, row sum). `out` (the heatmap)
// and `sums` (with `mask`) are each optional.
void pse_pipeline(const cv::Mat& a, const cv::Mat& b, const HeatmapOptions& o, cv::Mat* out, const MaskView* mask,
                  std::vector<RowSum>* sums) {
  const int rows = a.rows, cols = a.cols;
  const MaskKind kind = mask ? mask->kind : MaskKind::None;
  RowSumFn sum_fn = sums ? row_sum_fn(kind, 3) : nullptr;
  const bool ycbcr = o.colour == ColourSpace::YCbCr;
  for_stripes(rows, o.erosion_size / 2, [&](int begin, int end) {
    // slots: 0 the RGB difference, 1 the output row when there is no output, 2.. the min filter
    const int r = std::max(0, o.erosion_size / 2);
    RowArena arena(size_t(cols + 2 * r) * 3 + 48, 3 + std::max(1, o.erosion_size), out ? out->ptr(0) : nullptr);
    min_filter_rows(
        rows, cols, 3, o.erosion_size, begin, end,
        [&](int y, float* dst) {
          squared_error_row(a.ptr<std::uint8_t>(y), b.ptr<std::uint8_t>(y), dst, arena.row(0), cols, ycbcr);
          return static_cast<const float*>(dst);
        },
        [&](int y) { return out ? out->ptr<float>(y) : arena.row(1); },
        [&](int y, const float* above, const float* row, const float* below, float* d) {
          // Heatmap rows are written past the cache (the sums come from registers); 12 MB
          // per megapixel would otherwise be read into the cache first.
          return erode3x3_rgb_row(above, row, below, d, cols, out != nullptr, kind, sums ? mask->row(y) : nullptr,
                                  sums ? &(*sums)[size_t(y)] : nullptr);
        },
        [&](int y, const float* row) {
          if (sum_fn) (*sums)[size_t(y)] = sum_fn(row, mask->row(y), cols);
        },
        arena, 2);
    store_fence();
  });
}

}  // namespace

ColourSpace parse_colour_space(const std::string& name) {
  if (name == "rgb") return ColourSpace::RGB;
  if (name == "ycbcr") return ColourSpace::YCbCr;
  throw InputError("colour: expected 'rgb' or 'ycbcr', got '" + name + "'");
}

std::string to_string(ColourSpace c) { return c == ColourSpace::RGB ? "rgb" : "ycbcr"; }

cv::Mat rgb_to_ycbcr(const cv::Mat& rgb8) {
  if (rgb8.empty()) throw InputError("image: expected a non-empty RGB uint8 image, got an empty one");
  if (rgb8.type() != CV_8UC3) throw InputTypeError("image: expected an RGB uint8 image (CV_8UC3), got " + describe(rgb8));
  cv::Matx34f m;
  for (int c = 0; c < 3; ++c) {
    for (int j = 0; j < 3; ++j) m(c, j) = float(kBt601[c][j] / 255.0);
    m(c, 3) = float(kBt601Offsets[c]);
  }
  cv::Mat f, out;
  rgb8.convertTo(f, CV_32F);
  cv::transform(f, out, m);  // offsets + M * (R, G, B)
  return out;
}

cv::Mat pse_heatmap(const cv::Mat& original, const cv::Mat& normalized, const HeatmapOptions& o) {
  require_rgb_pair(original, normalized);
  require_erosion_size(o.erosion_size);
  cv::Mat out(original.size(), CV_32FC3);
  pse_pipeline(original, normalized, o, &out, nullptr, nullptr);
  return out;
}

HeatmapScore pse_score(const cv::Mat& original, const cv::Mat& normalized, const cv::Mat& mask, const HeatmapOptions& o,
                       cv::Mat* heatmap) {
  require_rgb_pair(original, normalized);
  require_erosion_size(o.erosion_size);
  MaskView m = check_mask(mask, original.size());
  cv::Mat out;
  if (heatmap) out.create(original.size(), CV_32FC3);
  std::vector<RowSum> sums(size_t(original.rows));
  pse_pipeline(original, normalized, o, heatmap ? &out : nullptr, &m, &sums);
  HeatmapScore s = finish_score(sums, out, m);
  if (heatmap) *heatmap = out;
  return s;
}

cv::Mat erode_heatmap(const cv::Mat& heatmap, int size) {
  if (heatmap.empty()) throw InputError("heatmap: expected a non-empty float32 heatmap, got an empty one");
  if (heatmap.depth() != CV_32F || heatmap.channels() > 4)
    throw InputTypeError("heatmap: expected a float32 heatmap with 1 to 4 channels (CV_32FC1..CV_32FC4), got " +
                         describe(heatmap));
  require_erosion_size(size);
  if (size <= 1) return heatmap.clone();
  const int cn = heatmap.channels(), cols = heatmap.cols;
  cv::Mat out(heatmap.size(), heatmap.type());
  for_stripes(heatmap.rows, size / 2, [&](int begin, int end) {
    RowArena arena(size_t(cols + size) * size_t(cn), size + 1, out.ptr(0));
    min_filter_rows(
        heatmap.rows, cols, cn, size, begin, end, [&](int y, float*) { return heatmap.ptr<float>(y); },
        [&](int y) { return out.ptr<float>(y); },
        [&](int, const float* above, const float* row, const float* below, float* d) {
          return erode3x3_rgb_row(above, row, below, d, cols, true, MaskKind::None, nullptr, nullptr);
        },
        [](int, const float*) {}, arena, 0);
    store_fence();
  });
  return out;
}

HeatmapScore heatmap_score(const cv::Mat& heatmap, const cv::Mat& mask) {
  if (heatmap.empty()) throw InputError("heatmap: expected a non-empty float32 heatmap, got an empty one");
  if (heatmap.depth() != CV_32F || heatmap.channels() > 4)
    throw InputTypeError("heatmap: expected a float32 heatmap with 1 to 4 channels (CV_32FC1..CV_32FC4), got " +
                         describe(heatmap));
  MaskView m = check_mask(mask, heatmap.size());
  RowSumFn fn = row_sum_fn(m.kind, heatmap.channels());
  std::vector<RowSum> sums(size_t(heatmap.rows));
  for_stripes(heatmap.rows, 0, [&](int begin, int end) {
    for (int y = begin; y < end; ++y) sums[size_t(y)] = fn(heatmap.ptr<float>(y), m.row(y), heatmap.cols);
  });
  return finish_score(sums, heatmap, m);
}

}  // namespace facenorm
