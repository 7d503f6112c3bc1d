// Face alignment as in the PLOS ONE 2023 paper, section 1.1.
#pragma once

#include <opencv2/core.hpp>

#include "facenorm/landmarks.hpp"

namespace facenorm {

struct AlignOptions {
  int size = 1024;               // output is size x size
  double eye_distance = 100.0;   // pixels between the two eye centres after alignment
  // Where the midpoint of the eyes lands, as fractions of the output size.
  double eyes_x = 0.5;
  double eyes_y = 0.45;
  // Border fill: mirrored replicas of the image, blended through a smoothed face/image mask
  // into a Gaussian-blurred copy, so padding never shows hard edges or black corners.
  bool blur_background = true;
  double background_sigma = 12.0;  // Gaussian sigma of the blurred background, in output pixels
  double mask_sigma = 8.0;         // smoothing of the sharp/blurred transition
};

struct AlignedFace {
  cv::Mat image;        // RGB uint8, size x size
  Landmarks landmarks;  // in the aligned image's pixels
  cv::Matx23d matrix;   // maps original pixel coordinates to aligned ones
};

AlignedFace align_face(const cv::Mat& rgb, const Landmarks& pts, const AlignOptions& options = {});

// The similarity transform alone (eyes horizontal, eye distance, eye midpoint placement).
cv::Matx23d alignment_matrix(const Landmarks& pts, const AlignOptions& options = {});

Landmarks transform_points(const Landmarks& pts, const cv::Matx23d& m);

}  // namespace facenorm
