// OpenCV Haar and LBP cascades (opencv-data), the detectors the PLOS ONE paper names.
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "detector_backends.hpp"
#include "dlib_convert.hpp"
#include "facenorm/errors.hpp"

namespace facenorm {
namespace {

class CascadeBackend : public DetectorBackend {
 public:
  CascadeBackend(const std::string& path, bool lbp) {
    bool ok = false;
    try {
      ok = cascade_.load(path);
    } catch (const cv::Exception& e) {
      throw ModelError(path + ": OpenCV cannot load the cascade: " + e.what());
    }
    if (!ok || cascade_.empty())
      throw ModelError(path + ": not a readable OpenCV " + std::string(lbp ? "LBP" : "Haar") +
                       " cascade (install opencv-data: scripts/install_deps.sh)");
  }

  std::vector<FaceBox> detect(const cv::Mat& rgb) override {
    cv::Mat gray = to_gray(rgb);
    cv::equalizeHist(gray, gray);
    std::vector<cv::Rect> rects;
    std::vector<int> levels;
    std::vector<double> weights;
    int min_side = std::max(24, std::min(gray.cols, gray.rows) / 12);
    cascade_.detectMultiScale(gray, rects, levels, weights, 1.1, 4, 0, cv::Size(min_side, min_side),
                              cv::Size(), true);
    std::vector<FaceBox> boxes;
    for (size_t i = 0; i < rects.size(); ++i) {
      const auto& r = rects[i];
      float score = i < weights.size() ? float(weights[i]) : 0.f;
      boxes.push_back(FaceBox{float(r.x), float(r.y), float(r.x + r.width), float(r.y + r.height), score});
    }
    return boxes;
  }

 private:
  cv::CascadeClassifier cascade_;
};

}  // namespace

std::unique_ptr<DetectorBackend> make_cascade_backend(const std::string& path, bool lbp) {
  return std::make_unique<CascadeBackend>(path, lbp);
}

}  // namespace facenorm
