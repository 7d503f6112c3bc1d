#include "facenorm/landmarks.hpp"

#include <algorithm>
#include <cmath>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/serialize.h>
#include <opencv2/imgproc.hpp>

#include "dlib_convert.hpp"
#include "facenorm/errors.hpp"
#include "facenorm/image_io.hpp"

namespace facenorm {

void check_landmarks(const Landmarks& pts, cv::Size size, const char* what) {
  if (pts.size() != size_t(kNumLandmarks))
    throw InputError(std::string(what) + ": expected 68 points, got " + std::to_string(pts.size()));
  for (size_t i = 0; i < pts.size(); ++i) {
    const auto& p = pts[i];
    if (!std::isfinite(p.x) || !std::isfinite(p.y))
      throw InputError(std::string(what) + ": point " + std::to_string(i) + " is not finite (NaN or inf)");
    if (size.width > 0 &&
        (p.x < -size.width || p.x > 2.0f * size.width || p.y < -size.height || p.y > 2.0f * size.height))
      throw InputError(std::string(what) + ": point " + std::to_string(i) + " (" + std::to_string(p.x) + ", " +
                       std::to_string(p.y) + ") lies far outside the " + std::to_string(size.width) + "x" +
                       std::to_string(size.height) + " image; expected pixel coordinates (x, y)");
  }
}

cv::Point2f mean_point(const Landmarks& pts, int first, int last) {
  cv::Point2f s(0, 0);
  for (int i = first; i <= last; ++i) s += pts[size_t(i)];
  return s * (1.0f / float(last - first + 1));
}

cv::Point2f right_eye_centre(const Landmarks& p) { return mean_point(p, ibug::kRightEyeFirst, ibug::kRightEyeLast); }
cv::Point2f left_eye_centre(const Landmarks& p) { return mean_point(p, ibug::kLeftEyeFirst, ibug::kLeftEyeLast); }

struct LandmarkPredictor::Impl {
  dlib::shape_predictor predictor;
};

LandmarkPredictor::LandmarkPredictor(const std::string& model_path)
    : impl_(std::make_unique<Impl>()), model_path_(model_path) {
  if (!std::ifstream(model_path).good())
    throw ModelError(model_path + ": landmark model not found (run: python -m facenorm fetch-models)");
  try {
    dlib::deserialize(model_path) >> impl_->predictor;
  } catch (const std::exception& e) {
    throw ModelError(model_path + ": not a dlib shape predictor: " + e.what());
  }
  if (impl_->predictor.num_parts() != size_t(kNumLandmarks))
    throw ModelError(model_path + ": expected a 68-point shape predictor, this one has " +
                     std::to_string(impl_->predictor.num_parts()) + " points");
}

LandmarkPredictor::~LandmarkPredictor() = default;
LandmarkPredictor::LandmarkPredictor(LandmarkPredictor&&) noexcept = default;
LandmarkPredictor& LandmarkPredictor::operator=(LandmarkPredictor&&) noexcept = default;

int LandmarkPredictor::num_parts() const { return int(impl_->predictor.num_parts()); }

Landmarks LandmarkPredictor::predict(const cv::Mat& rgb, const FaceBox& box) const {
  check_rgb8(rgb);
  if (!(box.width() > 1 && box.height() > 1) || !std::isfinite(box.x0) || !std::isfinite(box.y0))
    throw InputError("face box: expected x1 > x0 and y1 > y0 with finite values");
  // dlib rounds its output to whole pixels. Predicting on an enlarged copy of the face region
  // (up to 4x, at most 1024 px) and mapping back gives sub-pixel landmarks for small and
  // medium faces; the trees work in box-normalised coordinates, so the fit itself is unchanged.
  float margin = 0.4f * std::max(box.width(), box.height());
  cv::Rect region(cv::Point(int(std::floor(box.x0 - margin)), int(std::floor(box.y0 - margin))),
                  cv::Point(int(std::ceil(box.x1 + margin)), int(std::ceil(box.y1 + margin))));
  region &= cv::Rect(0, 0, rgb.cols, rgb.rows);
  if (region.width < 2 || region.height < 2) throw InputError("face box: lies outside the image");
  double factor = std::clamp(1024.0 / std::max(region.width, region.height), 1.0, 4.0);
  cv::Mat gray = to_gray(rgb(region));
  if (factor > 1.0) cv::resize(gray, gray, cv::Size(), factor, factor, cv::INTER_LINEAR);
  double fx = double(gray.cols) / region.width, fy = double(gray.rows) / region.height;
  // Pixel centres under cv::resize: x_big = (x + 0.5) * f - 0.5.
  FaceBox scaled{float((box.x0 - region.x + 0.5) * fx - 0.5), float((box.y0 - region.y + 0.5) * fy - 0.5),
                 float((box.x1 - region.x + 0.5) * fx - 0.5), float((box.y1 - region.y + 0.5) * fy - 0.5), box.score};
  dlib::cv_image<unsigned char> view(gray);
  dlib::full_object_detection shape = impl_->predictor(view, to_dlib_rect(scaled));
  Landmarks pts(kNumLandmarks);
  for (int i = 0; i < kNumLandmarks; ++i) {
    const auto& p = shape.part(unsigned(i));
    pts[size_t(i)] = cv::Point2f(float((p.x() + 0.5) / fx - 0.5 + region.x), float((p.y() + 0.5) / fy - 0.5 + region.y));
  }
  return pts;
}

}  // namespace facenorm
