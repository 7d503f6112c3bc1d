#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms/interpolation.h>

#include "detector_backends.hpp"
#include "dlib_convert.hpp"

namespace facenorm {
namespace {

class HogBackend : public DetectorBackend {
 public:
  explicit HogBackend(int upsample) : detector_(dlib::get_frontal_face_detector()), upsample_(upsample) {}

  std::vector<FaceBox> detect(const cv::Mat& rgb) override {
    cv::Mat gray = to_gray(rgb);
    dlib::cv_image<unsigned char> view(gray);
    std::vector<dlib::rect_detection> dets;
    if (upsample_ <= 0) {
      detector_(view, dets);
      return to_boxes(dets, 1.0);
    }
    dlib::array2d<unsigned char> up;
    dlib::assign_image(up, view);
    double factor = 1.0;
    for (int i = 0; i < upsample_; ++i) {
      dlib::pyramid_up(up);
      factor *= 2.0;
    }
    detector_(up, dets);
    return to_boxes(dets, factor);
  }

 private:
  static std::vector<FaceBox> to_boxes(const std::vector<dlib::rect_detection>& dets, double factor) {
    std::vector<FaceBox> boxes;
    for (const auto& d : dets) {
      FaceBox b = from_dlib_rect(d.rect, d.detection_confidence);
      b.x0 /= factor, b.y0 /= factor, b.x1 /= factor, b.y1 /= factor;
      boxes.push_back(b);
    }
    return boxes;
  }

  dlib::frontal_face_detector detector_;
  int upsample_;
};

}  // namespace

std::unique_ptr<DetectorBackend> make_hog_backend(int upsample) { return std::make_unique<HogBackend>(upsample); }

}  // namespace facenorm
