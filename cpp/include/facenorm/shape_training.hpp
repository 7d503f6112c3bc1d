// Training dlib's ensemble-of-regression-trees shape predictor (Kazemi & Sullivan 2014) on
// facenorm's own samples, so users can retrain the 68-point model on their patients' photos (the
// Palda authors retrained dlib on palsy photos). The result loads in LandmarkPredictor.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facenorm/detector.hpp"
#include "facenorm/landmarks.hpp"

namespace facenorm {

struct ShapeTrainingOptions {
  int cascade_depth = 10;             // dlib's defaults unless said
  int tree_depth = 4;
  int trees_per_cascade_level = 500;
  double nu = 0.1;                    // shrinkage
  int oversampling = 20;              // initial shapes per sample
  int feature_pool_size = 400;
  double lambda = 0.1;
  int num_test_splits = 20;
  int threads = 2;
  std::string seed = "facenorm";
  bool verbose = false;
};

struct ShapeTrainingResult {
  double train_error_px;  // mean point-to-point distance on the training samples, pixels
  int samples;
};

// gray: uint8 single-channel faces (any size); boxes: the detector's box on each; points: 68
// (x, y) per face. Writes the model to out_path through a temporary file and a rename.
// Throws InputError for mismatched or malformed inputs, Error when the file cannot be written.
ShapeTrainingResult train_shape_predictor(const std::vector<cv::Mat>& gray, const std::vector<FaceBox>& boxes,
                                          const std::vector<Landmarks>& points,
                                          const ShapeTrainingOptions& options, const std::string& out_path);

}  // namespace facenorm
