// The normalizer interface of the C++ core, and the normal-face model's shape step.
//
// A normalizer returns the same face with its anomaly filtered out, pixel-aligned with its input.
// The Python package (facenorm.normalize) adds the texture step, symmetry, inpainting and
// TorchScript chains on top of these pieces; C++ programs use ShapeNormalizer directly.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facenorm/landmarks.hpp"

namespace facenorm {

// The shape half of the normal-face model (fit-normal-model writes it into the .npz).
struct ShapeModel {
  Landmarks mean_shape;  // 68 points in the model's frame
  cv::Mat basis;         // K x 136 float32, orthonormal rows over (x0, y0, x1, y1, ...)
  cv::Mat stddev;        // K float32: square roots of the PCA eigenvalues
  cv::Mat sigma;         // 68 float32: residual spread per point on held-out normal faces
};

struct ShapeFitOptions {
  double tukey_c = 4.685;          // Tukey cut-off in units of each point's sigma
  double coefficient_bound = 3.0;  // |c_k| <= bound * stddev_k
  int rounds = 4;                  // alternations of alignment and robust projection
  double move_beyond_sigma = 2.0;  // points within this many sigma of the projection stay put
  std::vector<int> movable;        // points allowed to move; empty = nose and mouth (27-35, 48-67)
};

struct ShapeFit {
  Landmarks target;            // corrected landmarks, image pixels
  Landmarks projection;        // the model's robust projection, image pixels
  std::vector<float> weights;  // 68 robust weights: 1 = normal point, 0 = rejected
  int iterations = 0;
};

// Robust fit of the shape model: weighted similarity alignment and Tukey-IRLS projection,
// alternated `rounds` times so an anomaly neither skews the alignment nor pulls the fit; points
// rejected beyond move_beyond_sigma move towards the projection by (1 - weight).
ShapeFit fit_shape_robust(const ShapeModel& model, const Landmarks& pts, const ShapeFitOptions& options = {});

// 2x3 similarity (rotation, uniform scale, translation) minimizing sum w_i |A src_i - dst_i|^2.
cv::Matx23d weighted_similarity(const Landmarks& src, const Landmarks& dst, const std::vector<float>& weights);

struct WarpTowards {
  cv::Mat image;
  Landmarks target;       // the landmarks actually reached
  double fraction = 1.0;  // of the requested move; 0 = every move refused, image unchanged
};

// Piecewise-affine warp moving pts to target; a move that would fold the mesh is halved (down to
// 1/8) until it does not, so a correction never tears the face.
WarpTowards warp_towards(const cv::Mat& image, const Landmarks& pts, const Landmarks& target);

struct NormalizationResult {
  cv::Mat image;                 // RGB uint8, the input's size
  Landmarks landmarks;           // of the normalized face
  double fraction_applied = 1.0;  // see WarpTowards
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual std::string name() const = 0;
  // rgb: RGB uint8; pts: its 68 landmarks. Throws InputError for anything else.
  virtual NormalizationResult normalize(const cv::Mat& rgb, const Landmarks& pts) const = 0;
};

// The statistical normalizer's shape step alone (Python: `statistical:texture=off`).
class ShapeNormalizer : public Normalizer {
 public:
  explicit ShapeNormalizer(ShapeModel model, ShapeFitOptions options = {});
  std::string name() const override { return "statistical:texture=off"; }
  NormalizationResult normalize(const cv::Mat& rgb, const Landmarks& pts) const override;

 private:
  ShapeModel model_;
  ShapeFitOptions options_;
};

}  // namespace facenorm
