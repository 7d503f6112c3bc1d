// Internal: one backend per detection method, each detecting on an already downscaled image.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facenorm/detector.hpp"

namespace facenorm {

class DetectorBackend {
 public:
  virtual ~DetectorBackend() = default;
  virtual std::vector<FaceBox> detect(const cv::Mat& rgb) = 0;
};

std::unique_ptr<DetectorBackend> make_hog_backend(int upsample);
std::unique_ptr<DetectorBackend> make_cnn_backend(const std::string& model_path, int upsample);
std::unique_ptr<DetectorBackend> make_cascade_backend(const std::string& cascade_path, bool lbp);

}  // namespace facenorm
