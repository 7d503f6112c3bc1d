// Anomaly heatmaps and the anomaly score of PLOS ONE 2023 (eqs. 3-6): where and how much a face
// differs from its normalized version.
//
//   eq. 3  colour space: RGB (channels as float 0-255) or YCbCr (BT.601 with offsets, below)
//   eq. 4  H = per-channel squared error (PSE) between original and normalized
//   eq. 5  H <- erosion of each channel: minimum over a size x size square, border replicated
//   eq. 6  S = -ln(||H||_F / N), ||H||_F = sqrt(sum_p m_p * sum_c H[p, c]), N = sum_p m_p
//
// SIGN CONVENTION: LARGER S = SMALLER difference = MORE NORMAL. The paper's prose says "the
// higher the number, the more severe", which holds for ||H||_F / N but not for S as eq. 6
// defines it; facenorm follows the equation. H is already a squared error, so ||H||_F sums it
// (it is not squared again). N counts pixels, not pixels x channels.
// Identical images give ||H||_F = 0: S is then capped at -ln(kScoreFloor) = 20.7233 and
// HeatmapScore::capped is set - never NaN or inf.
#pragma once

#include <string>

#include <opencv2/core.hpp>

namespace facenorm {

enum class ColourSpace { RGB, YCbCr };

// "rgb" or "ycbcr" (case-sensitive); anything else: InputError.
ColourSpace parse_colour_space(const std::string& name);
std::string to_string(ColourSpace c);

struct HeatmapOptions {
  ColourSpace colour = ColourSpace::YCbCr;
  int erosion_size = 3;  // 0 or 1: no erosion; otherwise odd >= 3 (eq. 5)
};

// ||H||_F / N is floored here before the logarithm: S <= -ln(1e-9) = 20.7232658...
inline constexpr double kScoreFloor = 1e-9;

struct HeatmapScore {
  double score;      // S = -ln(max(||H||_F / N, kScoreFloor)); larger = more normal
  double frobenius;  // ||H||_F inside the mask
  double pixels;     // N: the (mask-weighted) number of pixels
  bool capped;       // ||H||_F / N < kScoreFloor: S is the cap, not a measurement
};

// RGB uint8 (CV_8UC3) -> CV_32FC3 YCbCr, BT.601 with offsets; with R' = R/255 etc. in [0, 1]:
//   Y  =  16 + 65.481 R' + 128.553 G' +  24.966 B'
//   Cb = 128 - 37.797 R' -  74.203 G' + 112.0   B'
//   Cr = 128 + 112.0  R' -  93.786 G' -  18.214 B'
cv::Mat rgb_to_ycbcr(const cv::Mat& rgb8);

// Eqs. 3-5: CV_32FC3 per-channel squared error of two RGB uint8 images of equal size in the
// chosen colour space, each channel then eroded (o.erosion_size). Throws InputTypeError for a
// non-CV_8UC3 image, InputError for different sizes, an empty image or a bad erosion size.
// The YCbCr difference is the linear transform of the exact RGB difference (the offsets
// cancel), in float32; on CPUs with AVX2 + FMA it is rounded with FMA, so results may differ
// in the last bit between CPUs (never between calls, threads or pse_heatmap / pse_score).
cv::Mat pse_heatmap(const cv::Mat& original, const cv::Mat& normalized, const HeatmapOptions& o = {});

// CV_32FC3 map of 1 - SSIM per channel in the chosen colour space (Wang et al. 2004: Gaussian
// window 11 x 11, sigma 1.5, C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2, population covariance,
// borders reflected as scipy.ndimage 'reflect' = cv::BORDER_REFLECT; computed in double). It
// equals 1 - the S map of skimage.metrics.structural_similarity(..., gaussian_weights=True,
// sigma=1.5, use_sample_covariance=False, data_range=255, full=True, channel_axis=-1), except
// that rounding residues below 0 are clamped to 0. Then eroded like pse_heatmap.
// Unlike skimage, images smaller than the window are accepted (the reflection repeats).
cv::Mat ssim_heatmap(const cv::Mat& original, const cv::Mat& normalized, const HeatmapOptions& o);

// Eq. 5 on any CV_32F heatmap with 1 to 4 channels: each channel's minimum over a size x size
// square, border replicated. size 0 or 1 returns a copy; even or negative sizes: InputError.
cv::Mat erode_heatmap(const cv::Mat& heatmap, int size);

// Eq. 6 over a CV_32F heatmap (1 to 4 channels, values finite and >= 0) and a mask of its size:
// empty cv::Mat() = every pixel; CV_32FC1 with values in [0, 1] (soft masks weight the pixels);
// or CV_8UC1 holding only 0 and 255 (= 0 and 1). Throws InputError for a mask of another size,
// values outside [0, 1] (or NaN), one that selects no pixels, or negative / non-finite heatmap
// values (anywhere, also where the mask is 0); InputTypeError for other mask or heatmap types.
// Sums run in a fixed order (float partial sums of at most 16 products per lane, then double),
// so the result does not depend on the thread count; relative error below 1e-6.
HeatmapScore heatmap_score(const cv::Mat& heatmap, const cv::Mat& mask = cv::Mat());

// pse_heatmap + heatmap_score in one pass over the images: each heatmap row is summed while it
// is still in registers or cache, and no full-size intermediate exists besides the optional
// heatmap output. The result is bit-identical to heatmap_score(pse_heatmap(original,
// normalized, o), mask), and *heatmap (if given) to that heatmap.
HeatmapScore pse_score(const cv::Mat& original, const cv::Mat& normalized, const cv::Mat& mask,
                       const HeatmapOptions& o = {}, cv::Mat* heatmap = nullptr);

}  // namespace facenorm
