// 1 - SSIM heatmap (Wang et al. 2004) as skimage.metrics.structural_similarity computes it with
// gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, full=True.
#include <algorithm>
#include <cstdint>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "facenorm/errors.hpp"
#include "facenorm/score.hpp"
#include "score_internal.hpp"

namespace facenorm {
namespace {

constexpr int kWindow = 11;  // skimage: radius int(3.5 * sigma + 0.5) = 5
constexpr double kSigma = 1.5;
constexpr double kC1 = (0.01 * 255) * (0.01 * 255);
constexpr double kC2 = (0.03 * 255) * (0.03 * 255);

// CV_64FC3 in the chosen colour space (double: the variances are differences of large means).
cv::Mat to_double(const cv::Mat& rgb8, ColourSpace colour) {
  cv::Mat out(rgb8.size(), CV_64FC3);
  const auto& k = score_detail::kBt601;
  const auto& off = score_detail::kBt601Offsets;
  for (int y = 0; y < rgb8.rows; ++y) {
    const std::uint8_t* p = rgb8.ptr<std::uint8_t>(y);
    double* q = out.ptr<double>(y);
    if (colour == ColourSpace::RGB) {
      for (int i = 0; i < 3 * rgb8.cols; ++i) q[i] = p[i];
      continue;
    }
    for (int x = 0; x < rgb8.cols; ++x) {
      double r = p[3 * x] / 255.0, g = p[3 * x + 1] / 255.0, b = p[3 * x + 2] / 255.0;
      for (int c = 0; c < 3; ++c) q[3 * x + c] = off[c] + k[c][0] * r + k[c][1] * g + k[c][2] * b;
    }
  }
  return out;
}

}  // namespace

cv::Mat ssim_heatmap(const cv::Mat& original, const cv::Mat& normalized, const HeatmapOptions& o) {
  score_detail::require_rgb_pair(original, normalized);
  score_detail::require_erosion_size(o.erosion_size);
  cv::Mat x = to_double(original, o.colour), y = to_double(normalized, o.colour);
  cv::Mat kernel = cv::getGaussianKernel(kWindow, kSigma, CV_64F);
  auto blur = [&](const cv::Mat& src) {
    cv::Mat dst;
    cv::sepFilter2D(src, dst, CV_64F, kernel, kernel, cv::Point(-1, -1), 0, cv::BORDER_REFLECT);
    return dst;
  };
  cv::Mat ux = blur(x), uy = blur(y), uxx = blur(x.mul(x)), uyy = blur(y.mul(y)), uxy = blur(x.mul(y));
  cv::Mat out(original.size(), CV_32FC3);
  for (int r = 0; r < out.rows; ++r) {
    const double *mx = ux.ptr<double>(r), *my = uy.ptr<double>(r);
    const double *sxx = uxx.ptr<double>(r), *syy = uyy.ptr<double>(r), *sxy = uxy.ptr<double>(r);
    float* q = out.ptr<float>(r);
    for (int i = 0; i < 3 * out.cols; ++i) {
      double vx = sxx[i] - mx[i] * mx[i], vy = syy[i] - my[i] * my[i], vxy = sxy[i] - mx[i] * my[i];
      double a1 = 2 * mx[i] * my[i] + kC1, a2 = 2 * vxy + kC2;
      double b1 = mx[i] * mx[i] + my[i] * my[i] + kC1, b2 = vx + vy + kC2;
      double s = (a1 * a2) / (b1 * b2);
      q[i] = float(std::max(0.0, 1.0 - s));
    }
  }
  return o.erosion_size > 1 ? erode_heatmap(out, o.erosion_size) : out;
}

}  // namespace facenorm
