#include "facenorm/detector.hpp"

#include <algorithm>
#include <fstream>

#include <opencv2/imgproc.hpp>

#include "detector_backends.hpp"
#include "facenorm/errors.hpp"
#include "facenorm/image_io.hpp"
#include "object_pool.hpp"

namespace facenorm {
namespace {

// Each method frames a face differently; dlib's landmark model was trained on HOG boxes.
// These map a method's box to the HOG box of the same face (centre shift and size ratio,
// fractions of the box size), measured on the CelebAMask-HQ faces (docs/preprocessing.md).
struct BoxCalibration {
  float dx, dy, scale_w, scale_h;
};

BoxCalibration calibration_for(DetectorMethod m) {
  switch (m) {
    case DetectorMethod::Hog: return {0.f, 0.f, 1.f, 1.f};
    case DetectorMethod::Cnn: return {0.058f, 0.086f, 1.095f, 1.093f};
    case DetectorMethod::Haar: return {-0.014f, 0.103f, 0.923f, 0.923f};
    case DetectorMethod::Lbp: return {-0.013f, 0.048f, 1.388f, 1.386f};
  }
  return {0.f, 0.f, 1.f, 1.f};
}

FaceBox calibrate(const FaceBox& b, const BoxCalibration& c) {
  float cx = (b.x0 + b.x1) / 2 + c.dx * b.width();
  float cy = (b.y0 + b.y1) / 2 + c.dy * b.height();
  float w = b.width() * c.scale_w, h = b.height() * c.scale_h;
  return FaceBox{cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, b.score};
}

bool file_exists(const std::string& p) { return std::ifstream(p).good(); }

std::string default_model_path(DetectorMethod m) {
  switch (m) {
    case DetectorMethod::Haar:
      return std::string(FACENORM_OPENCV_DATA_DIR) + "/haarcascades/haarcascade_frontalface_default.xml";
    case DetectorMethod::Lbp:
      return std::string(FACENORM_OPENCV_DATA_DIR) + "/lbpcascades/lbpcascade_frontalface_improved.xml";
    default:
      return "";
  }
}

}  // namespace

DetectorMethod parse_detector_method(const std::string& name) {
  if (name == "hog") return DetectorMethod::Hog;
  if (name == "cnn" || name == "mmod") return DetectorMethod::Cnn;
  if (name == "haar") return DetectorMethod::Haar;
  if (name == "lbp") return DetectorMethod::Lbp;
  throw InputError("detector method: expected one of hog, cnn, haar, lbp; got '" + name + "'");
}

MultiFacePolicy parse_multi_face_policy(const std::string& name) {
  if (name == "largest") return MultiFacePolicy::Largest;
  if (name == "all") return MultiFacePolicy::All;
  if (name == "error") return MultiFacePolicy::Error;
  throw InputError("multi-face policy: expected one of largest, all, error; got '" + name + "'");
}

std::string to_string(DetectorMethod m) {
  switch (m) {
    case DetectorMethod::Hog: return "hog";
    case DetectorMethod::Cnn: return "cnn";
    case DetectorMethod::Haar: return "haar";
    case DetectorMethod::Lbp: return "lbp";
  }
  return "?";
}

struct FaceDetector::Impl {
  DetectorOptions options;
  ObjectPool<DetectorBackend> pool;

  explicit Impl(DetectorOptions o)
      : options(std::move(o)), pool([opts = options]() -> std::unique_ptr<DetectorBackend> {
          switch (opts.method) {
            case DetectorMethod::Hog: return make_hog_backend(opts.upsample);
            case DetectorMethod::Cnn: return make_cnn_backend(opts.model_path, opts.upsample);
            case DetectorMethod::Haar: return make_cascade_backend(opts.model_path, false);
            case DetectorMethod::Lbp: return make_cascade_backend(opts.model_path, true);
          }
          return nullptr;
        }) {}
};

FaceDetector::FaceDetector(DetectorOptions options) {
  if (options.max_side < 64) throw InputError("max_side: expected at least 64 pixels, got " + std::to_string(options.max_side));
  if (options.coarse_side < 0) throw InputError("coarse_side: expected 0 (off) or a positive size");
  if (options.upsample < 0 || options.upsample > 3)
    throw InputError("upsample: expected 0 to 3, got " + std::to_string(options.upsample));
  if (options.model_path.empty()) options.model_path = default_model_path(options.method);
  if (options.method == DetectorMethod::Cnn && options.model_path.empty())
    throw ModelError("the cnn detector needs mmod_human_face_detector.dat (run: python -m facenorm fetch-models)");
  if (!options.model_path.empty() && !file_exists(options.model_path))
    throw ModelError(options.model_path + ": model file not found (run: python -m facenorm fetch-models, "
                     "or scripts/install_deps.sh for OpenCV's cascades)");
  impl_ = std::make_unique<Impl>(std::move(options));
  impl_->pool.borrow();  // load once now so a bad model fails here, not on the first image
}

FaceDetector::~FaceDetector() = default;
FaceDetector::FaceDetector(FaceDetector&&) noexcept = default;
FaceDetector& FaceDetector::operator=(FaceDetector&&) noexcept = default;

const DetectorOptions& FaceDetector::options() const { return impl_->options; }

namespace {

// Detects on a copy whose longer side is at most `side` and maps the boxes back.
std::vector<FaceBox> detect_at(const cv::Mat& rgb, int side, ObjectPool<DetectorBackend>& pool,
                               const BoxCalibration& cal) {
  double scale = 1.0;
  cv::Mat small = rgb;
  int longer = std::max(rgb.cols, rgb.rows);
  if (longer > side) {
    scale = double(side) / longer;
    cv::resize(rgb, small, cv::Size(), scale, scale, cv::INTER_AREA);
  }
  std::vector<FaceBox> boxes;
  {
    auto backend = pool.borrow();
    boxes = backend->detect(small);
  }
  for (auto& b : boxes) {
    b = calibrate(b, cal);
    b.x0 /= scale, b.y0 /= scale, b.x1 /= scale, b.y1 /= scale;
  }
  std::stable_sort(boxes.begin(), boxes.end(), [](const FaceBox& a, const FaceBox& b) { return a.area() > b.area(); });
  return boxes;
}

}  // namespace

std::vector<FaceBox> FaceDetector::detect_all(const cv::Mat& rgb) const {
  check_rgb8(rgb);
  return detect_at(rgb, impl_->options.max_side, impl_->pool, calibration_for(impl_->options.method));
}

std::vector<FaceBox> FaceDetector::detect(const cv::Mat& rgb, MultiFacePolicy policy) const {
  const auto& o = impl_->options;
  std::vector<FaceBox> boxes;
  if (policy == MultiFacePolicy::Largest && o.coarse_side > 0 && o.coarse_side < o.max_side &&
      std::max(rgb.cols, rgb.rows) > o.coarse_side) {
    check_rgb8(rgb);
    boxes = detect_at(rgb, o.coarse_side, impl_->pool, calibration_for(o.method));
  }
  if (boxes.empty()) boxes = detect_all(rgb);
  if (boxes.empty()) throw NoFaceError("no face found by the " + to_string(impl_->options.method) + " detector");
  if (policy == MultiFacePolicy::Largest) boxes.resize(1);
  if (policy == MultiFacePolicy::Error && boxes.size() > 1)
    throw MultipleFacesError("expected exactly one face, found " + std::to_string(boxes.size()) +
                             " (use the 'largest' or 'all' policy to accept several)");
  return boxes;
}

}  // namespace facenorm
