// 68-point facial landmarks (iBUG 300-W order, 0-based, pixel coordinates x, y).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facenorm/detector.hpp"

namespace facenorm {

constexpr int kNumLandmarks = 68;
using Landmarks = std::vector<cv::Point2f>;

// iBUG index groups used throughout (0-based, inclusive ranges).
namespace ibug {
constexpr int kJawFirst = 0, kJawLast = 16;
constexpr int kRightBrowFirst = 17, kRightBrowLast = 21;  // subject's right = image left
constexpr int kLeftBrowFirst = 22, kLeftBrowLast = 26;
constexpr int kNoseFirst = 27, kNoseLast = 35;
constexpr int kRightEyeFirst = 36, kRightEyeLast = 41;
constexpr int kLeftEyeFirst = 42, kLeftEyeLast = 47;
constexpr int kOuterLipFirst = 48, kOuterLipLast = 59;
constexpr int kInnerLipFirst = 60, kInnerLipLast = 67;
constexpr int kMouthLeftCorner = 48, kMouthRightCorner = 54;  // image-left / image-right corner
}  // namespace ibug

// Throws InputError unless there are 68 finite points inside an image of the given size
// (with a tolerance of one image size outside: faces cut by the border are still valid).
void check_landmarks(const Landmarks& pts, cv::Size image_size, const char* what = "landmarks");

cv::Point2f mean_point(const Landmarks& pts, int first, int last);
cv::Point2f right_eye_centre(const Landmarks& pts);  // subject's right eye (image left)
cv::Point2f left_eye_centre(const Landmarks& pts);

// dlib's ensemble-of-regression-trees shape predictor. predict() is thread-safe.
class LandmarkPredictor {
 public:
  explicit LandmarkPredictor(const std::string& model_path);
  ~LandmarkPredictor();
  LandmarkPredictor(LandmarkPredictor&&) noexcept;
  LandmarkPredictor& operator=(LandmarkPredictor&&) noexcept;

  Landmarks predict(const cv::Mat& rgb, const FaceBox& box) const;
  int num_parts() const;
  const std::string& model_path() const { return model_path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string model_path_;
};

}  // namespace facenorm
