// Face detectors: dlib HOG (default), dlib MMOD CNN, OpenCV Haar and LBP cascades.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace facenorm {

struct FaceBox {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // pixel corners, x1/y1 exclusive
  float score = 0;                       // detector confidence; comparable within one method only
  float width() const { return x1 - x0; }
  float height() const { return y1 - y0; }
  float area() const { return width() * height(); }
};

enum class DetectorMethod { Hog, Cnn, Haar, Lbp };
enum class MultiFacePolicy { Largest, All, Error };

DetectorMethod parse_detector_method(const std::string& name);  // "hog", "cnn", "haar", "lbp"
MultiFacePolicy parse_multi_face_policy(const std::string& name);  // "largest", "all", "error"
std::string to_string(DetectorMethod m);

struct DetectorOptions {
  DetectorMethod method = DetectorMethod::Hog;
  // Images whose longer side exceeds this are detected on a downscaled copy and the boxes
  // mapped back; detection cost then stays bounded for 20-megapixel photos.
  int max_side = 800;
  // Under the "largest" policy a first pass runs on a copy no larger than this, and the
  // max_side pass only when it finds nothing: big faces cost a fraction of a full scan.
  // 0 disables the coarse pass.
  int coarse_side = 384;
  // dlib HOG/CNN pyramid upsampling (0 = none). Small faces need 1.
  int upsample = 0;
  // Path of the model file: the MMOD .dat for "cnn", a cascade XML for "haar"/"lbp";
  // empty selects the default in the system's data folders (models/ resolved by Python).
  std::string model_path;
};

// Thread-safe: concurrent detect() calls each borrow their own detector instance from a pool.
class FaceDetector {
 public:
  explicit FaceDetector(DetectorOptions options = {});
  ~FaceDetector();
  FaceDetector(FaceDetector&&) noexcept;
  FaceDetector& operator=(FaceDetector&&) noexcept;

  // Boxes sorted by area, largest first. Under Largest one box; under Error throws
  // MultipleFacesError when there are several; throws NoFaceError when there is none.
  std::vector<FaceBox> detect(const cv::Mat& rgb, MultiFacePolicy policy = MultiFacePolicy::Largest) const;
  // All boxes, possibly none; never throws NoFaceError.
  std::vector<FaceBox> detect_all(const cv::Mat& rgb) const;

  const DetectorOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace facenorm
