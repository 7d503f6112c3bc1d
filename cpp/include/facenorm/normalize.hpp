// Kernels of the built-in normalizers (python/facenorm/normalize/ orchestrates them).
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "facenorm/landmarks.hpp"

namespace facenorm {

struct RobustProjectionOptions {
  int group = 1;                 // consecutive values sharing one weight: 2 for (x, y) points, 3 for RGB pixels
  double tukey_c = 4.685;        // Tukey biweight cut-off, in units of each group's residual sigma
  double coefficient_bound = 3.0;  // |c_k| <= bound * stddev_k: the fit stays a plausible normal face
  int max_iterations = 30;
  double tolerance = 1e-4;       // stop when no coefficient moves by more than tolerance * stddev_k
};

struct RobustProjection {
  std::vector<float> coefficients;    // K
  std::vector<float> reconstruction;  // D: mean + basis^T c
  std::vector<float> weights;         // D / group, in [0, 1]; 0 = treated as an outlier (anomalous)
  int iterations = 0;
};

// Robust projection of x onto an orthonormal subspace (PCA): iteratively reweighted least
// squares with Tukey's biweight on each group's residual norm divided by its sigma (the residual
// spread seen on normal training faces). Each iteration fills down-weighted values with the
// current reconstruction and projects orthogonally (the EM solution of the weighted fit: two
// matrix-vector products, no K x K solve), so an anomaly cannot pull the fit towards itself.
// basis: K x D float32 rows, orthonormal. stddev: K. sigma: D / group. Throws InputError on
// mismatched sizes, non-finite input or non-positive sigma.
RobustProjection robust_subspace_projection(const cv::Mat& x, const cv::Mat& mean, const cv::Mat& basis,
                                            const cv::Mat& stddev, const cv::Mat& sigma,
                                            const RobustProjectionOptions& options = {});

// The 150 x 150 face chip dlib's face-recognition ResNet expects (dlib::get_face_chip_details on
// 68 landmarks, padding 0.25 by default), RGB uint8.
cv::Mat face_chip(const cv::Mat& rgb, const Landmarks& pts, int size = 150, double padding = 0.25);

}  // namespace facenorm
