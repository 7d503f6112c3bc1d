#include "facenorm/errors.hpp"
#include "facenorm/normalizer.hpp"
#include "facenorm/warp.hpp"

namespace facenorm {

WarpTowards warp_towards(const cv::Mat& image, const Landmarks& pts, const Landmarks& target) {
  if (pts.size() != target.size()) throw InputError("warp_towards: expected as many targets as landmarks");
  if (pts == target) return {image.clone(), pts, 1.0};
  for (double fraction : {1.0, 0.5, 0.25, 0.125}) {
    Landmarks t(pts.size());
    for (size_t i = 0; i < pts.size(); ++i) t[i] = pts[i] + float(fraction) * (target[i] - pts[i]);
    try {
      return {piecewise_affine_warp(image, pts, t), t, fraction};
    } catch (const InputError&) {  // a fold (or a point off the image): try a smaller move
    }
  }
  return {image.clone(), pts, 0.0};
}

ShapeNormalizer::ShapeNormalizer(ShapeModel model, ShapeFitOptions options)
    : model_(std::move(model)), options_(std::move(options)) {
  fit_shape_robust(model_, model_.mean_shape, options_);  // a malformed model fails here, not later
}

NormalizationResult ShapeNormalizer::normalize(const cv::Mat& rgb, const Landmarks& pts) const {
  if (rgb.type() != CV_8UC3 || rgb.empty()) throw InputError("image: expected a non-empty RGB uint8 image");
  check_landmarks(pts, rgb.size());
  ShapeFit fit = fit_shape_robust(model_, pts, options_);
  WarpTowards warped = warp_towards(rgb, pts, fit.target);
  return {warped.image, warped.target, warped.fraction};
}

}  // namespace facenorm
