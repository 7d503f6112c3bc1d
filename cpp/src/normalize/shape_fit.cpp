#include <cmath>
#include <string>

#include <opencv2/imgproc.hpp>

#include "facenorm/errors.hpp"
#include "facenorm/normalize.hpp"
#include "facenorm/normalizer.hpp"

namespace facenorm {
namespace {

Landmarks transformed(const Landmarks& pts, const cv::Matx23d& m) {
  Landmarks out;
  out.reserve(pts.size());
  for (const auto& p : pts)
    out.emplace_back(float(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)), float(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)));
  return out;
}

cv::Matx23d inverted(const cv::Matx23d& m) {
  cv::Matx23d inv;
  cv::invertAffineTransform(m, inv);
  return inv;
}

void check_model(const ShapeModel& m) {
  const int k = m.basis.rows;
  if (m.mean_shape.size() != size_t(kNumLandmarks) || m.basis.type() != CV_32F || m.basis.cols != 2 * kNumLandmarks ||
      k < 1 || int(m.stddev.total()) != k || int(m.sigma.total()) != kNumLandmarks)
    throw InputError("shape model: expected a 68-point mean, a K x 136 float32 basis, K stddevs and 68 sigmas");
}

}  // namespace

cv::Matx23d weighted_similarity(const Landmarks& src, const Landmarks& dst, const std::vector<float>& weights) {
  if (src.size() != dst.size() || src.size() != weights.size() || src.size() < 2)
    throw InputError("weighted_similarity: expected as many weights as point pairs, at least 2");
  double sw = 0, msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (size_t i = 0; i < src.size(); ++i) {
    double w = weights[i];
    sw += w, msx += w * src[i].x, msy += w * src[i].y, mdx += w * dst[i].x, mdy += w * dst[i].y;
  }
  if (!(sw > 0)) throw InputError("weighted_similarity: expected positive total weight");
  msx /= sw, msy /= sw, mdx /= sw, mdy /= sw;
  // In complex numbers the best similarity is z -> (sum w conj(a) b / sum w |a|^2) z + t.
  double saa = 0, p = 0, q = 0;
  for (size_t i = 0; i < src.size(); ++i) {
    double w = weights[i], ax = src[i].x - msx, ay = src[i].y - msy, bx = dst[i].x - mdx, by = dst[i].y - mdy;
    saa += w * (ax * ax + ay * ay), p += w * (ax * bx + ay * by), q += w * (ax * by - ay * bx);
  }
  if (!(saa > 1e-12)) throw InputError("weighted_similarity: the source points coincide");
  double a = p / saa, b = q / saa;
  return cv::Matx23d(a, -b, mdx - (a * msx - b * msy), b, a, mdy - (b * msx + a * msy));
}

ShapeFit fit_shape_robust(const ShapeModel& model, const Landmarks& pts, const ShapeFitOptions& options) {
  check_model(model);
  if (pts.size() != size_t(kNumLandmarks)) throw InputError("landmarks: expected 68 points");
  for (const auto& p : pts)
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) throw InputError("landmarks: expected finite (x, y) points");
  if (options.rounds < 1) throw InputError("shape fit: rounds must be 1 or more");
  cv::Mat mean(1, 2 * kNumLandmarks, CV_32F);
  for (int i = 0; i < kNumLandmarks; ++i)
    mean.at<float>(2 * i) = model.mean_shape[size_t(i)].x, mean.at<float>(2 * i + 1) = model.mean_shape[size_t(i)].y;
  RobustProjectionOptions projection_options;
  projection_options.group = 2;
  projection_options.tukey_c = options.tukey_c;
  projection_options.coefficient_bound = options.coefficient_bound;
  ShapeFit fit;
  std::vector<float> weights(size_t(kNumLandmarks), 1.f);
  std::vector<float> alignment_weights(weights.size());
  cv::Matx23d a;
  RobustProjection r;
  for (int round = 0; round < options.rounds; ++round) {
    for (size_t i = 0; i < weights.size(); ++i) alignment_weights[i] = weights[i] + 1e-3f;  // never all zero
    a = weighted_similarity(pts, model.mean_shape, alignment_weights);
    Landmarks y = transformed(pts, a);
    cv::Mat x(1, 2 * kNumLandmarks, CV_32F, y.data());
    r = robust_subspace_projection(x.clone(), mean, model.basis, model.stddev.reshape(1, 1),
                                   model.sigma.reshape(1, 1), projection_options);
    weights = r.weights;
    fit.iterations += r.iterations;
  }
  Landmarks projected_frame;
  for (int i = 0; i < kNumLandmarks; ++i)
    projected_frame.emplace_back(r.reconstruction[size_t(2 * i)], r.reconstruction[size_t(2 * i + 1)]);
  fit.projection = transformed(projected_frame, inverted(a));
  fit.weights = weights;
  std::vector<bool> movable(size_t(kNumLandmarks), false);
  if (options.movable.empty()) {
    for (int i = ibug::kNoseFirst; i <= ibug::kNoseLast; ++i) movable[size_t(i)] = true;
    for (int i = ibug::kOuterLipFirst; i <= ibug::kInnerLipLast; ++i) movable[size_t(i)] = true;
  } else {
    for (int i : options.movable) {
      if (i < 0 || i >= kNumLandmarks) throw InputError("shape fit: movable point " + std::to_string(i) + " is not 0-67");
      movable[size_t(i)] = true;
    }
  }
  // 1 - weight at `move_beyond_sigma` sigma: closer points are normal variation and stay put.
  const double u = options.move_beyond_sigma / options.tukey_c;
  const double threshold = 1.0 - (1.0 - u * u) * (1.0 - u * u);
  fit.target = pts;
  for (size_t i = 0; i < pts.size(); ++i) {
    double move = 1.0 - weights[i];
    if (!movable[i] || move < threshold) continue;
    fit.target[i] = pts[i] + float(move) * (fit.projection[i] - pts[i]);
  }
  return fit;
}

}  // namespace facenorm
