// dlib's MMOD CNN face detector (mmod_human_face_detector.dat from the dlib-models bundle).
#include <dlib/dnn.h>
#include <dlib/image_processing.h>

#include "detector_backends.hpp"
#include "dlib_convert.hpp"
#include "facenorm/errors.hpp"

namespace facenorm {
namespace {

// The network layout is fixed by the serialized model; it must match to deserialize.
template <long N, typename S> using con5d = dlib::con<N, 5, 5, 2, 2, S>;
template <long N, typename S> using con5 = dlib::con<N, 5, 5, 1, 1, S>;
template <typename S>
using downsampler = dlib::relu<dlib::affine<con5d<32, dlib::relu<dlib::affine<con5d<32, dlib::relu<dlib::affine<con5d<16, S>>>>>>>>>;
template <typename S> using rcon5 = dlib::relu<dlib::affine<con5<45, S>>>;
using MmodNet = dlib::loss_mmod<dlib::con<1, 9, 9, 1, 1, rcon5<rcon5<rcon5<downsampler<
    dlib::input_rgb_image_pyramid<dlib::pyramid_down<6>>>>>>>>;

class CnnBackend : public DetectorBackend {
 public:
  CnnBackend(const std::string& model_path, int upsample) : upsample_(upsample) {
    try {
      dlib::deserialize(model_path) >> net_;
    } catch (const std::exception& e) {
      throw ModelError(model_path + ": not a dlib MMOD face detector model: " + e.what());
    }
  }

  std::vector<FaceBox> detect(const cv::Mat& rgb) override {
    dlib::matrix<dlib::rgb_pixel> img;
    dlib::assign_image(img, dlib::cv_image<dlib::rgb_pixel>(rgb));
    double factor = 1.0;
    for (int i = 0; i < upsample_; ++i) {
      dlib::pyramid_up(img);
      factor *= 2.0;
    }
    std::vector<FaceBox> boxes;
    for (const auto& d : net_(img)) {
      FaceBox b = from_dlib_rect(d.rect, d.detection_confidence);
      b.x0 /= factor, b.y0 /= factor, b.x1 /= factor, b.y1 /= factor;
      boxes.push_back(b);
    }
    return boxes;
  }

 private:
  MmodNet net_;
  int upsample_;
};

}  // namespace

std::unique_ptr<DetectorBackend> make_cnn_backend(const std::string& model_path, int upsample) {
  return std::make_unique<CnnBackend>(model_path, upsample);
}

}  // namespace facenorm
